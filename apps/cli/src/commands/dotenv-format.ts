/**
 * dotenv files as the `dotenv` package reads them. Import takes its values from dotenv's own
 * parser and reports exactly the lines that parser passes over; export writes each value in a
 * form dotenv reads back to the same string, checked with that parser, so the two never drift.
 */
import { parse } from "dotenv";

/**
 * dotenv's line pattern (lib/main.js, 17.x): what it matches is what it imports. Kept in step
 * with the package by the table test in dotenv-compat.test.ts.
 */
const DOTENV_LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

export interface ParsedDotenv {
  /** Name and value, in file order; a repeated name keeps its last value (as dotenv). */
  entries: [string, string][];
  /** Lines with text that dotenv skips (1-based, counted as dotenv counts them). */
  skipped: { line: number; reason: string }[];
}

export function parseDotenv(text: string): ParsedDotenv {
  // dotenv turns CRLF and a lone CR into LF before it parses; lines are counted on that.
  const normalized = text.replace(/\r\n?/g, "\n");
  const covered: [number, number][] = [];
  for (const match of normalized.matchAll(DOTENV_LINE))
    covered.push([match.index, match.index + match[0].length]);
  const skipped: ParsedDotenv["skipped"] = [];
  let offset = 0;
  normalized.split("\n").forEach((line, i) => {
    const start = offset + line.search(/\S/);
    offset += line.length + 1;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    if (!covered.some(([from, to]) => start >= from && start < to))
      skipped.push({ line: i + 1, reason: "not KEY=VALUE" });
  });
  return { entries: Object.entries(parse(normalized)), skipped };
}

/** The forms tried, plainest first: one of them reads back unless the value defeats them all. */
function candidates(value: string): string[] {
  return [
    `'${value}'`,
    `"${value.replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`,
    `\`${value}\``,
    value,
  ];
}

/** `NAME=…` that dotenv reads back as exactly `value`, or undefined when no form can hold it. */
export function dotenvLine(name: string, value: string): string | undefined {
  for (const form of candidates(value)) {
    const line = `${name}=${form}`;
    if (parse(line)[name] === value && Object.keys(parse(line)).length === 1) return line;
  }
  return undefined;
}
