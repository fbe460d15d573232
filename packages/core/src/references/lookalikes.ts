/**
 * Text that looks like a mistyped vault reference, so that a template's typo is reported when
 * the template is loaded instead of being sent upstream as literal text:
 *
 * - **mistyped** (an error for whoever loads templates): an opening brace then `vault` with the
 *   wrong punctuation, case or spacing: `{vault:/x}`, `{vault//x}`, `{vault:x}`, `{ vault://x}`,
 *   `{VAULT://x}`. No template means that literally.
 * - **unbraced** (a warning: it may be meant literally, as a URL handed to the upstream):
 *   `vault://x` without the `{`.
 *
 * Text inside a well-formed `{vault://…}` (up to its `}`) is not looked at. A message quotes
 * only the matched look-alike (braces, spaces, `vault`, `:` and `/`), never the text around it,
 * which may hold a literal credential. Pure.
 */
import { VAULT_PREFIX } from "./vault-reference.js";

export interface ReferenceLookalike {
  /** Offsets of the look-alike's first character and one past its prefix, in the text searched. */
  start: number;
  end: number;
  /** `mistyped`: certainly a typo (refuse it); `unbraced`: maybe literal text (warn). */
  kind: "mistyped" | "unbraced";
  /** One sentence naming the character (1-based) and the fix. */
  message: string;
}

/** `{`, spaces, `vault` in any case, spaces, then `:` and/or `/`: a reference's opening, mistyped. */
const BRACED_RE = /\{\s*vault\s*(?::\s*\/*|\/+)/gi;
const UNBRACED_RE = /vault:\/\//gi;
/** Longest look-alike quoted in a message (long runs of spaces or slashes are cut). */
const MAX_SHOWN = 24;

/** The spans of well-formed reference openings: `{vault://` up to its `}` (or the end). */
function referenceSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  for (let from = 0; ;) {
    const start = text.indexOf(VAULT_PREFIX, from);
    if (start === -1) return spans;
    const close = text.indexOf("}", start);
    const end = close === -1 ? text.length : close + 1;
    spans.push([start, end]);
    from = end;
  }
}

const shown = (match: string): string =>
  JSON.stringify(match.length > MAX_SHOWN ? `${match.slice(0, MAX_SHOWN)}…` : match);

/** Every look-alike in `text`, in order of position. */
export function findReferenceLookalikes(text: string): ReferenceLookalike[] {
  if (!/vault/i.test(text)) return [];
  const taken = referenceSpans(text);
  const inside = (at: number): boolean => taken.some(([start, end]) => at >= start && at < end);
  const found: ReferenceLookalike[] = [];
  for (const match of text.matchAll(BRACED_RE)) {
    const start = match.index;
    if (inside(start)) continue; // a well-formed opening, or inside one
    const end = start + match[0].length;
    found.push({
      start,
      end,
      kind: "mistyped",
      message: `character ${start + 1}: ${shown(match[0])} looks like a mistyped reference: a reference starts with "${VAULT_PREFIX}"`,
    });
    taken.push([start, end]);
  }
  for (const match of text.matchAll(UNBRACED_RE)) {
    const start = match.index;
    if (inside(start)) continue;
    found.push({
      start,
      end: start + match[0].length,
      kind: "unbraced",
      message: `character ${start + 1}: ${shown(match[0])} without "{" is not a reference (write {vault://…}); if it is meant as text, ignore this`,
    });
  }
  return found.sort((a, b) => a.start - b.start);
}
