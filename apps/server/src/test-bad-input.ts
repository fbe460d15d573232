/**
 * Bad inputs for the input fuzz test (input-fuzz.test.ts): the values that once gave HTTP 500s
 * (NUL, lone surrogates, year 0, cursors out of range…) and a way to derive, from one valid
 * input, every input with one field replaced by a bad value.
 */

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64url");

/** Cursors as a client could forge them: well-formed base64url, odd inside. */
export const BAD_CURSORS: readonly string[] = [
  b64("9223372036854775808"),
  b64("99999999999999999999999"),
  b64("1e400"),
  b64("-1"),
  b64("1.5"),
  b64("0x10"),
  b64(" 12 "),
  b64("\u0000"),
  b64(JSON.stringify(["\u0000", "a"])),
  b64(JSON.stringify(["admin", "a\u0000"])),
  b64(JSON.stringify(["\ud800", "a"])),
  b64(JSON.stringify(["admin", "x".repeat(300)])),
  b64('["a"]'),
  b64("[1,2]"),
  b64("null"),
  "!!!",
];

/** Dates a client could send where a time is asked for. */
export const BAD_DATES: readonly string[] = [
  "0000-01-01T00:00:00Z",
  "0000-01-01",
  "10000-01-01T00:00:00Z",
  "+275760-09-13T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "1969-12-31T23:59:59Z",
  "2026-02-30T00:00:00Z",
  "2026-13-01T00:00:00Z",
  "2026-01-01T25:61:61Z",
  "2026-01-01 and then some",
  "9999-12-31T23:59:59.999+14:00",
];

/** Any string field gets each of these. */
export const BAD_STRINGS: readonly string[] = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "a\udc00b",
  "\udbff\udfff",
  "\ufffe",
  "\u202eabc",
  "😀",
  "\u0085\u2028",
  "x".repeat(70_000),
  "é".repeat(40_000),
  "%00",
  "\\u0000",
  "' OR '1'='1",
  "%_\\",
  "../../etc/passwd",
  "NaN",
  "-1",
  "9223372036854775808",
  "a#1",
  "a#99999999999",
  "a#0",
  "admin/a\u0000",
  "secret://default/admin/a\u0000",
  "secret://default/admin/a#9223372036854775808",
  "OWNER/NAME/KEY/more",
];

/** Fields of these names also get their own kind of bad value. */
export const BAD_BY_FIELD: Readonly<Record<string, readonly string[]>> = {
  since: BAD_DATES,
  cursor: BAD_CURSORS,
};

export const BAD_NUMBERS: readonly unknown[] = [
  -1,
  0,
  1.5,
  2 ** 31,
  2 ** 53,
  2 ** 63,
  Number.MAX_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  "1",
  "NaN",
];

export const BAD_BOOLEANS: readonly unknown[] = ["true", 0, 1, "\u0000"];

/** Every leaf also gets these: the wrong type altogether. */
const WRONG_TYPES: readonly unknown[] = [null, {}, []];

/** Unknown fields, as keys: refused by name, the name shown safely. */
const BAD_KEYS: readonly string[] = ["\u0000", "\ud800", "x".repeat(1000), "__proto__"];

export interface Mutation {
  /** JSON Pointer of the field replaced ("" for the whole input). */
  path: string;
  /** A short label of the bad value, for failure messages. */
  label: string;
  input: unknown;
}

function label(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}… (${text.length} chars)` : text;
}

function badValuesFor(value: unknown, extra: readonly string[]): readonly unknown[] {
  if (typeof value === "string") return [...BAD_STRINGS, ...extra, ...WRONG_TYPES];
  if (typeof value === "number") return [...BAD_NUMBERS, ...WRONG_TYPES];
  if (typeof value === "boolean") return [...BAD_BOOLEANS, ...WRONG_TYPES];
  if (Array.isArray(value)) {
    const first: unknown = value[0];
    return [[], Array.from({ length: 1001 }, () => first), null, {}];
  }
  return [null, [], "x"];
}

/**
 * Each input that differs from `sample` in one place: one field's value replaced by a bad one,
 * or one unknown field added to an object. `extra` adds values for fields of a given name.
 */
export function mutations(
  sample: unknown,
  extra: Readonly<Record<string, readonly string[]>> = {},
): Mutation[] {
  const out: Mutation[] = [];
  const walk = (value: unknown, path: string, key: string, replace: (v: unknown) => unknown) => {
    for (const bad of badValuesFor(value, extra[key] ?? [])) {
      out.push({ path, label: label(bad), input: replace(bad) });
    }
    if (Array.isArray(value)) {
      const items = value as unknown[];
      items.forEach((item, i) =>
        walk(item, `${path}/${i}`, key, (v) => replace(items.map((x, j) => (j === i ? v : x)))),
      );
    } else if (typeof value === "object" && value !== null) {
      const object = value as Record<string, unknown>;
      for (const badKey of BAD_KEYS) {
        const copy = { ...object };
        Object.defineProperty(copy, badKey, { value: "x", enumerable: true, writable: true });
        out.push({ path, label: `unknown field ${label(badKey)}`, input: replace(copy) });
      }
      for (const [k, v] of Object.entries(object)) {
        walk(v, `${path}/${k}`, k, (w) => replace({ ...object, [k]: w }));
      }
    }
  };
  walk(sample, "", "", (v) => v);
  return out;
}

/** An unsigned JWT with these claims: enough for what the server reads before verifying. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  return `${b64(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${b64(JSON.stringify(claims))}.c2ln`;
}

type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  anyOf?: SchemaNode[];
};

/** Every field a JSON Schema names, as JSON Pointers where `*` stands for any item or map key. */
export function schemaFields(schema: SchemaNode, path = ""): string[] {
  const out: string[] = [];
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    out.push(`${path}/${key}`, ...schemaFields(sub, `${path}/${key}`));
  }
  if (typeof schema.items === "object") out.push(...schemaFields(schema.items, `${path}/*`));
  if (typeof schema.additionalProperties === "object") {
    out.push(`${path}/*`, ...schemaFields(schema.additionalProperties, `${path}/*`));
  }
  for (const sub of schema.anyOf ?? []) out.push(...schemaFields(sub, path));
  return out;
}

/** Whether `value` has something at `path` (as schemaFields writes it). */
export function hasField(value: unknown, path: string): boolean {
  const [first, ...rest] = path.split("/").slice(1);
  if (first === undefined) return true;
  if (typeof value !== "object" || value === null) return false;
  const children =
    first === "*" ? Object.values(value) : [(value as Record<string, unknown>)[first]];
  const restPath = rest.map((r) => `/${r}`).join("");
  return children.some((child) => child !== undefined && hasField(child, restPath));
}
