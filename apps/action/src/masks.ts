/**
 * What to register as masks for one value (SPEC §10), before anything else happens to it:
 * the whole value, each line of a multi-line value (lines end at `\r\n`, `\n` or a lone `\r`,
 * which a terminal also shows as a new line), each string or number leaf of a JSON value (and
 * each line of those), each of these without the spaces around it (a tool may print it trimmed,
 * single-line or not), and the base64 form of every one of these. A number is masked as it is
 * written in the JSON and as JavaScript prints it (`String(n)`), when those differ (`1e5`,
 * `100000`). Pieces shorter than 4 characters are never registered: a mask of "a" or "on"
 * would blank the whole log. Pure.
 */

export const MIN_MASK_LENGTH = 4;
/** JSON nested deeper than this is not walked (its whole text is still masked). */
const MAX_DEPTH = 64;
const LINE_END_RE = /\r\n|\n|\r/;
/** A JSON string token (in valid JSON), to blank before looking for numbers. */
const JSON_STRING_RE = /"(?:[^"\\]|\\.)*"/g;
const JSON_NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

function linesOf(text: string): string[] {
  if (!LINE_END_RE.test(text)) return [];
  return text.split(LINE_END_RE);
}

/** Each number of valid JSON text as written, and as `String(n)` prints it. */
function numberLeaves(json: string): string[] {
  const written = json.replace(JSON_STRING_RE, '""').match(JSON_NUMBER_RE) ?? [];
  return written.flatMap((text) => {
    const n = Number(text);
    const forms = Number.isFinite(n) ? [text, String(n)] : [text]; // not "Infinity" for 1e999
    // `-7012` may be printed without its sign (`abs`, a sum): its digits are masked too.
    return forms.flatMap((form) => (form.startsWith("-") ? [form, form.slice(1)] : [form]));
  });
}

/** The string and number leaves of a JSON object or array; none for any other text. */
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
  return [...leaves, ...numberLeaves(text)];
}

/** The masks for a value, longest first (a longer mask must win over a piece of it). */
export function masksFor(value: string): string[] {
  const pieces = new Set<string>();
  const add = (text: string): void => {
    if (text.length < MIN_MASK_LENGTH || pieces.has(text)) return;
    pieces.add(text);
    add(text.trim());
    for (const line of linesOf(text)) add(line);
  };
  add(value);
  for (const leaf of jsonLeaves(value)) add(leaf);
  for (const piece of [...pieces]) pieces.add(Buffer.from(piece, "utf8").toString("base64"));
  return [...pieces].sort((a, b) => b.length - a.length);
}
