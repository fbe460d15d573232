import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  containsVaultReference,
  findVaultReferences,
  forEachJsonString,
  mapJsonStrings,
  MAX_JSON_DEPTH,
  type JsonValue,
} from "./find-references.js";
import {
  expectOnlySyntaxErrors,
  FUZZ_RUNS,
  parserInput,
  principalName,
  secretName,
  syntaxError,
  unicodeText,
} from "./test-arbitraries.js";
import {
  formatVaultReference,
  parseVaultReference,
  VAULT_PREFIX,
  type BackendSyntax,
} from "./vault-reference.js";

/** A few valid reference texts, in canonical form. */
const referenceText = fc.oneof(
  secretName.map((name) => `{vault://coffer/${name}}`),
  fc.tuple(principalName, secretName).map(([owner, name]) => `{vault://coffer/${owner}/${name}}`),
  fc
    .tuple(
      fc.constantFrom("env", "file"),
      fc.array(unicodeText({ minLength: 1, maxLength: 8 }), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([backend, resource]) =>
      formatVaultReference({ backend, resource, options: {}, cache: {} }),
    ),
  fc.constantFrom("{vault://env/a/b?ttl=30#2}", "{vault://coffer/ml/db/password?stage=previous}"),
);

/** Text around references: anything without the reference prefix. */
const filler = unicodeText({ maxLength: 12 }).filter((text) => !text.includes(VAULT_PREFIX));

describe("findVaultReferences", () => {
  it("finds a reference inside a longer string", () => {
    const text = "Bearer {vault://coffer/ml/openai_key}";
    expect(findVaultReferences(text)).toStrictEqual([
      {
        start: 7,
        end: text.length,
        reference: { backend: "coffer", resource: ["ml", "openai_key"], options: {}, cache: {} },
      },
    ]);
  });

  it("finds several, with exact offsets", () => {
    const text = "u={vault://env/db-user}&p={vault://env/db/password?ttl=5} {vault://coffer/x#2}.";
    const found = findVaultReferences(text);
    expect(found.map(({ start, end }) => [start, end])).toStrictEqual([
      [2, 23],
      [26, 57],
      [58, 78],
    ]);
    expect(found.map(({ start, end }) => text.slice(start, end))).toStrictEqual([
      "{vault://env/db-user}",
      "{vault://env/db/password?ttl=5}",
      "{vault://coffer/x#2}",
    ]);
    expect(found[1]!.reference).toStrictEqual({
      backend: "env",
      resource: ["db"],
      key: "password",
      options: {},
      cache: { ttl: 5 },
    });
    expect(found[2]!.reference.version).toBe(2);
  });

  it("finds nothing in text without references", () => {
    for (const text of ["", "plain", "{vault:/env/x}", "vault://env/x", "{ vault://env/x}", "}{"]) {
      expect(findVaultReferences(text)).toStrictEqual([]);
      expect(containsVaultReference(text)).toBe(false);
    }
    expect(containsVaultReference("x {vault://env/x} y")).toBe(true);
  });

  it("finds every reference embedded among arbitrary text, at its offsets", () => {
    fc.assert(
      fc.property(
        filler,
        fc.array(fc.tuple(referenceText, filler), { maxLength: 5 }),
        (head, pieces) => {
          let text = head;
          const expected: { start: number; end: number; reference: unknown }[] = [];
          for (const [reference, after] of pieces) {
            expected.push({
              start: text.length,
              end: text.length + reference.length,
              reference: parseVaultReference(reference),
            });
            text += reference + after;
          }
          expect(findVaultReferences(text)).toStrictEqual(expected);
          expect(containsVaultReference(text)).toBe(pieces.length > 0);
        },
      ),
    );
  });

  it("refuses an unterminated reference", () => {
    const text = "Bearer {vault://env/token and more";
    const error = syntaxError(() => findVaultReferences(text));
    expect(error.reason).toMatch(/no closing "}"/);
    // Only up to the first space is quoted: the rest of a header may hold other credentials.
    expect(error.details["reference"]).toBe("{vault://env/token…");
    expect(error.message).not.toContain("and more");
    expect(error.position).toBe("{vault://env/token and more".length);
    // Even after a good one.
    expect(() => findVaultReferences("{vault://env/a} {vault://env/b")).toThrow(/no closing/);
  });

  it("refuses a malformed reference, with the position relative to the reference", () => {
    const text = "x-api-key: {vault://env/a?foo=1} and {vault://env/b}";
    const error = syntaxError(() => findVaultReferences(text));
    expect(error.details["reference"]).toBe("{vault://env/a?foo=1}");
    expect(error.position).toBe("{vault://env/a?".length);
    expect(error.reason).toMatch(/unknown query key "foo"/);
    expect(error.message).toContain("at character 16");

    // The reference ends at the first "}", so a raw brace inside breaks it.
    const braced = syntaxError(() => findVaultReferences("{vault://env/a{b}c}"));
    expect(braced.position).toBe(14);
    expect(syntaxError(() => findVaultReferences("ok {vault://aws/x}")).reason).toMatch(
      /unknown backend "aws"/,
    );
  });

  it("passes the backends option on", () => {
    const backends: Record<string, BackendSyntax> = { aws: { pathRule: "kong", options: [] } };
    expect(findVaultReferences("p={vault://aws/db/pass}", { backends })).toHaveLength(1);
    expect(() => findVaultReferences("p={vault://env/x}", { backends })).toThrow(/known: aws/);
  });

  it("throws only ReferenceSyntaxError on arbitrary input", () => {
    const valid = fc
      .tuple(filler, referenceText, filler, referenceText)
      .map((pieces) => pieces.join(""));
    const input = parserInput(valid, ["{vault://", "Bearer {vault://env/", "x{vault://coffer/"]);
    fc.assert(
      fc.property(input, (text) => expectOnlySyntaxErrors(text, findVaultReferences)),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe("JSON trees", () => {
  const tree: JsonValue = {
    "{vault://env/key}": "a",
    list: ["b", 1, true, null, { deep: ["c"] }],
    n: 2.5,
  };

  it("forEachJsonString visits string leaves in order, never keys", () => {
    const seen: string[] = [];
    forEachJsonString(tree, (text) => seen.push(text));
    expect(seen).toStrictEqual(["a", "b", "c"]);
  });

  it("mapJsonStrings maps string leaves and keeps everything else", () => {
    expect(mapJsonStrings(tree, (text) => text.toUpperCase())).toStrictEqual({
      "{vault://env/key}": "A",
      list: ["B", 1, true, null, { deep: ["C"] }],
      n: 2.5,
    });
  });

  it("mapJsonStrings keeps a __proto__ key as an own property", () => {
    const parsed = JSON.parse('{"__proto__": {"x": "a"}, "y": "b"}') as JsonValue;
    const mapped = mapJsonStrings(parsed, (text) => text.toUpperCase());
    expect(Object.keys(mapped as object)).toStrictEqual(["__proto__", "y"]);
    expect(JSON.stringify(mapped)).toBe('{"__proto__":{"x":"A"},"y":"B"}');
    expect(Object.getPrototypeOf(mapped)).toBe(Object.prototype);
  });

  it(`refuses trees nested deeper than ${MAX_JSON_DEPTH}`, () => {
    const nest = (depth: number): JsonValue => {
      let value: JsonValue = "leaf";
      for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
      return value;
    };
    expect(() => forEachJsonString(nest(MAX_JSON_DEPTH), () => undefined)).not.toThrow();
    const error = syntaxError(() => forEachJsonString(nest(MAX_JSON_DEPTH + 1), () => undefined));
    expect(error.reason).toMatch(/deeper than 64/);
  });
});
