/** Tables for people, JSON with --json; everything but values and listings goes to stderr. */
import { askHidden } from "./hidden-prompt.js";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether standard output is a terminal. */
  isTty: boolean;
  /** Whether standard input is a terminal (then a token is asked for, unechoed). */
  stdinIsTty: boolean;
  askHidden(question: string): Promise<string>;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  isTty: process.stdout.isTTY === true,
  stdinIsTty: process.stdin.isTTY === true,
  askHidden,
};

/**
 * When what reads the output goes away (`coffer audit ls | head -1`, `| grep -q`), stop at
 * once, quietly, with exit code 0: the reader took what it wanted. (coreutils die of SIGPIPE,
 * 141, which fails `set -o pipefail` scripts for nothing; Node ignores SIGPIPE and would print
 * a stack trace.) Nothing is half-done then: every command writes its output after its calls.
 * A closed stderr is ignored: there is no one left to tell.
 */
export function exitQuietlyWhenOutputCloses(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") process.exit(0);
    process.stderr.write(`coffer: cannot write the output: ${error.code ?? error.message}\n`);
    process.exit(1);
  });
  process.stderr.on("error", () => undefined);
}

export function table(
  io: Io,
  rows: readonly Record<string, unknown>[],
  columns: readonly [string, string][],
): void {
  const text = (c: unknown): string => {
    if (c === null || c === undefined) return "-";
    if (typeof c === "string") return c;
    if (typeof c === "number" || typeof c === "boolean") return String(c);
    return JSON.stringify(c);
  };
  const widths = columns.map(([key, header]) =>
    Math.max(header.length, ...rows.map((r) => text(r[key]).length)),
  );
  const line = (cells: string[]): string =>
    `${cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd()}\n`;
  io.out(line(columns.map(([, header]) => header)));
  for (const row of rows) io.out(line(columns.map(([key]) => text(row[key]))));
}

export function json(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
