/** Tables for people, JSON with --json; everything but values and listings goes to stderr. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  isTty: boolean;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: process.stdout.isTTY === true,
};

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
