/**
 * `coffer run --mask`: the command's stdout and stderr pass through a filter that writes `***`
 * in place of every injected value, including a value split across chunks (a child writes when
 * it likes; a pipe cuts where it likes). Bytes are compared, not characters, so a value whose
 * UTF-8 is cut mid-character is still found.
 *
 * What is masked: each whole value and each line of a multi-line value. As in the Action, a
 * line (or value) shorter than MIN_MASKED characters is not masked: `***` in place of every
 * `a` or `1` would hide the whole output and tell a reader what the value is.
 */
import { Transform, type TransformCallback } from "node:stream";

export const MASK = "***";
export const MIN_MASKED = 4;

/** The byte strings to mask, longest first (a longer match wins where two start together). */
export function maskPatterns(values: Iterable<string>): Buffer[] {
  const texts = new Set<string>();
  for (const value of values) {
    for (const part of [value, ...value.split(/\r?\n/)]) {
      const trimmed = part.replace(/\r$/, "");
      if (trimmed.length >= MIN_MASKED) texts.add(trimmed);
    }
  }
  return [...texts].map((t) => Buffer.from(t, "utf8")).sort((a, b) => b.length - a.length);
}

/** The values too short to mask (the caller names their variables; never the value). */
export const tooShortToMask = (value: string): boolean =>
  value.length > 0 && value.length < MIN_MASKED;

/**
 * A stream that masks `patterns`. It holds back only the end of what it has seen that could be
 * the start of a value, so output that cannot be part of one is passed on at once (a prompt
 * without a newline still shows).
 */
export function maskingStream(patterns: readonly Buffer[]): Transform {
  const mask = Buffer.from(MASK);
  let pending: Buffer = Buffer.alloc(0);
  const push = (stream: Transform, final: boolean): void => {
    const buf = pending;
    const out: Buffer[] = [];
    let at = 0;
    for (;;) {
      let best = -1;
      let bestLength = 0;
      for (const p of patterns) {
        const i = buf.indexOf(p, at);
        if (i !== -1 && (best === -1 || i < best || (i === best && p.length > bestLength))) {
          best = i;
          bestLength = p.length;
        }
      }
      if (best === -1) break;
      out.push(buf.subarray(at, best), mask);
      at = best + bestLength;
    }
    const rest = buf.subarray(at);
    const hold = final ? 0 : heldBack(rest, patterns);
    out.push(rest.subarray(0, rest.length - hold));
    pending = Buffer.from(rest.subarray(rest.length - hold));
    const chunk = Buffer.concat(out);
    if (chunk.length > 0) stream.push(chunk);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      push(this, false);
      done();
    },
    flush(done: TransformCallback) {
      push(this, true);
      done();
    },
  });
}

/** The length of the longest end of `rest` that some pattern starts with (and is longer than). */
function heldBack(rest: Buffer, patterns: readonly Buffer[]): number {
  const longest = patterns[0]?.length ?? 0;
  for (let k = Math.min(rest.length, longest - 1); k > 0; k--) {
    const tail = rest.subarray(rest.length - k);
    if (patterns.some((p) => p.length > k && p.subarray(0, k).equals(tail))) return k;
  }
  return 0;
}
