/**
 * What to register as masks for one value (SPEC §10), before anything else happens to it:
 * the whole value, each line of a multi-line value, each string leaf of a JSON value (and each
 * line of those), and the base64 form of every one of these. Pieces shorter than 4 characters
 * are never registered: a mask of "a" or "on" would blank the whole log. Pure.
 */

export const MIN_MASK_LENGTH = 4;
/** JSON nested deeper than this is not walked (its whole text is still masked). */
const MAX_DEPTH = 64;

function linesOf(text: string): string[] {
  if (!text.includes("\n")) return [];
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    out.push(line);
    const trimmed = line.trim();
    if (trimmed !== line) out.push(trimmed);
  }
  return out;
}

function jsonLeaves(text: string): string[] {
  const first = text.trimStart()[0];
  if (first !== "{" && first !== "[") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const leaves: string[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (typeof node === "string") leaves.push(node);
    else if (Array.isArray(node)) for (const item of node) walk(item, depth + 1);
    else if (typeof node === "object" && node !== null) {
      for (const item of Object.values(node)) walk(item, depth + 1);
    }
  };
  walk(parsed, 0);
  return leaves;
}

/** The masks for a value, longest first (a longer mask must win over a piece of it). */
export function masksFor(value: string): string[] {
  const pieces = new Set<string>();
  const add = (text: string): void => {
    if (text.length < MIN_MASK_LENGTH || pieces.has(text)) return;
    pieces.add(text);
    for (const line of linesOf(text)) add(line);
  };
  add(value);
  for (const leaf of jsonLeaves(value)) add(leaf);
  for (const piece of [...pieces]) pieces.add(Buffer.from(piece, "utf8").toString("base64"));
  return [...pieces].sort((a, b) => b.length - a.length);
}
