import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CofferError, ERROR_CODES, forbidden, notFound } from "../errors.js";
import type { JsonValue } from "./find-references.js";
import { ReferenceSyntaxError } from "./reference-error.js";
import {
  resolveJson,
  resolveString,
  resolveStrings,
  resolveTemplate,
  type ReferenceResolver,
  type ResolveOutcome,
} from "./resolve.js";
import { unicodeText } from "./test-arbitraries.js";
import {
  referenceIdentity,
  type BackendSyntax,
  type ParseOptions,
  type VaultReference,
} from "./vault-reference.js";

type Answer = string | CofferError;

/** An in-memory resolver keyed by reference identity, which records every call. */
class FakeResolver implements ReferenceResolver {
  readonly calls: VaultReference[][] = [];

  constructor(
    private readonly answers: Readonly<Record<string, Answer>>,
    private readonly options: ParseOptions = {},
  ) {}

  /** Identities of every reference the resolver was given, in order. */
  get seen(): string[] {
    return this.calls.flat().map((ref) => referenceIdentity(ref, this.options));
  }

  resolve(references: readonly VaultReference[]): Promise<readonly ResolveOutcome[]> {
    this.calls.push([...references]);
    return Promise.resolve(
      references.map((ref): ResolveOutcome => {
        const id = referenceIdentity(ref, this.options);
        const answer = this.answers[id];
        if (answer === undefined) return { ok: false, error: notFound(`nothing at ${id}`) };
        return typeof answer === "string"
          ? { ok: true, value: answer }
          : { ok: false, error: answer };
      }),
    );
  }
}

async function rejection(promise: Promise<unknown>): Promise<CofferError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CofferError);
    return error as CofferError;
  }
  throw new Error("expected a rejection");
}

const OPENAI = "{vault://coffer/ml/openai_key}";
const DB_PASS = "{vault://env/db-pass}";

describe("resolveStrings", () => {
  it("resolves many strings with one resolver call, each reference once", async () => {
    const resolver = new FakeResolver({
      [OPENAI]: "fake-openai-key-000",
      [DB_PASS]: "fake-db-pass-111",
    });
    const out = await resolveStrings(
      [
        `Bearer ${OPENAI}`,
        DB_PASS,
        "no references here",
        `${OPENAI}:{vault://env/db-pass?ttl=30}`,
        "",
      ],
      resolver,
    );
    expect(out).toStrictEqual([
      "Bearer fake-openai-key-000",
      "fake-db-pass-111",
      "no references here",
      "fake-openai-key-000:fake-db-pass-111",
      "",
    ]);
    expect(resolver.calls).toHaveLength(1);
    expect(resolver.seen).toStrictEqual([OPENAI, DB_PASS]);
  });

  it("does not call the resolver when there is nothing to resolve", async () => {
    const resolver = new FakeResolver({});
    expect(await resolveStrings(["a", "b ${X} {vault:/env/x}"], resolver)).toStrictEqual([
      "a",
      "b ${X} {vault:/env/x}",
    ]);
    expect(await resolveStrings([], resolver)).toStrictEqual([]);
    expect(resolver.calls).toHaveLength(0);
  });

  it("counts the same reference with different cache settings as one", async () => {
    const resolver = new FakeResolver({ "{vault://env/x}": "fake-x" });
    const out = await resolveStrings(
      [
        "{vault://env/x?ttl=5}",
        "{vault://env/x?ttl=60} {vault://env/x}",
        "{vault://env/x?neg_ttl=1}",
      ],
      resolver,
    );
    expect(out).toStrictEqual(["fake-x", "fake-x fake-x", "fake-x"]);
    expect(resolver.calls).toHaveLength(1);
    expect(resolver.calls[0]).toHaveLength(1);
    expect(resolver.seen).toStrictEqual(["{vault://env/x}"]);
  });

  it("tells apart references that differ in version, key, options or backend", async () => {
    const texts = [
      "{vault://env/x}",
      "{vault://env/x#2}",
      "{vault://env/x/k}",
      "{vault://env/x?prefix=A_}",
      "{vault://file/x}",
    ];
    const resolver = new FakeResolver(Object.fromEntries(texts.map((t, i) => [t, `fake-${i}`])));
    expect(await resolveStrings(texts, resolver)).toStrictEqual(texts.map((_, i) => `fake-${i}`));
    expect(resolver.calls).toHaveLength(1);
    expect(resolver.seen).toStrictEqual(texts);
  });

  it("never scans a resolved value again", async () => {
    const tricky = "{vault://env/x} and ${X} and {vault://env/a} and {vault://broken";
    const resolver = new FakeResolver({
      "{vault://env/a}": tricky,
      "{vault://env/x}": "MUST-NOT-APPEAR",
    });
    expect(await resolveString("v={vault://env/a}!", resolver)).toBe(`v=${tricky}!`);
    expect(resolver.seen).toStrictEqual(["{vault://env/a}"]);
  });

  it("refuses a malformed reference before calling the resolver", async () => {
    const resolver = new FakeResolver({ "{vault://env/a}": "fake" });
    const error = await rejection(
      resolveStrings(["{vault://env/a}", "{vault://env/b?x=1}"], resolver),
    );
    expect(error).toBeInstanceOf(ReferenceSyntaxError);
    expect(error.errorCode).toBe("INVALID_REQUEST");
    expect(resolver.calls).toHaveLength(0);
  });

  it("throws on a failing outcome, naming the reference and keeping its error code", async () => {
    const good = "{vault://coffer/ml/good}";
    const resolver = new FakeResolver({
      [good]: "fake-good-value-42",
      "{vault://coffer/ml/missing}": forbidden("you may not read it", { subject: "alice" }),
    });
    const error = await rejection(
      resolveStrings([`a=${good}`, "b={vault://coffer/ml/missing?ttl=9}"], resolver),
    );
    expect(error.errorCode).toBe("FORBIDDEN");
    expect(error.message).toContain("{vault://coffer/ml/missing}");
    expect(error.message).toContain("you may not read it");
    expect(error.message).not.toContain("fake-good-value-42");
    expect(JSON.stringify(error.details)).not.toContain("fake-good-value-42");
    expect(error.details).toStrictEqual({
      subject: "alice",
      reference: "{vault://coffer/ml/missing}",
    });
    expect(resolver.calls).toHaveLength(1);
  });

  it("never puts another resolved value into a failure, whatever the code and order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ERROR_CODES),
        fc.integer({ min: 2, max: 6 }),
        fc.nat(),
        async (code, count, pick) => {
          const failing = pick % count;
          const ids = Array.from({ length: count }, (_, i) => `{vault://coffer/ml/s${i}}`);
          const answers: Record<string, Answer> = {};
          ids.forEach((id, i) => {
            answers[id] =
              i === failing ? new CofferError(code, "backend says no") : `fake-value-${i}-zq`;
          });
          const resolver = new FakeResolver(answers);
          const error = await rejection(
            resolveStrings(
              ids.map((id) => `x ${id} y`),
              resolver,
            ),
          );
          expect(error.errorCode).toBe(code);
          expect(error.message).toContain(ids[failing]);
          const shown = error.message + JSON.stringify(error.details);
          expect(shown).not.toMatch(/fake-value-/);
        },
      ),
    );
  });

  it("fails when the resolver gives too few answers", async () => {
    const resolver: ReferenceResolver = { resolve: () => Promise.resolve([]) };
    const error = await rejection(resolveString("{vault://env/a}", resolver));
    expect(error.errorCode).toBe("INTERNAL_SERVER_ERROR");
    expect(error.message).toContain("{vault://env/a}");
  });

  it("passes the backends option on", async () => {
    const backends: Record<string, BackendSyntax> = { aws: { pathRule: "kong", options: [] } };
    const resolver = new FakeResolver({ "{vault://aws/db/pass}": "fake-aws" }, { backends });
    expect(await resolveString("p={vault://aws/db/pass}", resolver, { backends })).toBe(
      "p=fake-aws",
    );
    expect(resolver.calls[0]).toStrictEqual([
      { backend: "aws", resource: ["db"], key: "pass", options: {}, cache: {} },
    ]);
  });
});

describe("resolveJson", () => {
  it("resolves every string leaf with one call and keeps the tree's shape", async () => {
    const resolver = new FakeResolver({
      [OPENAI]: "fake-openai-key-000",
      [DB_PASS]: "fake-db-pass-111",
      "{vault://env/key}": "MUST-NOT-APPEAR",
    });
    const tree: JsonValue = {
      headers: { Authorization: `Bearer ${OPENAI}`, "{vault://env/key}": "k" },
      list: [DB_PASS, 1, -0.5, true, false, null, [[OPENAI]], {}],
      count: 3,
      on: true,
      none: null,
      text: "plain",
    };
    const out = await resolveJson(tree, resolver);
    expect(out).toStrictEqual({
      headers: { Authorization: "Bearer fake-openai-key-000", "{vault://env/key}": "k" },
      list: ["fake-db-pass-111", 1, -0.5, true, false, null, [["fake-openai-key-000"]], {}],
      count: 3,
      on: true,
      none: null,
      text: "plain",
    });
    expect(resolver.calls).toHaveLength(1);
    expect(resolver.seen).toStrictEqual([OPENAI, DB_PASS]);
    for (const scalar of [1, true, null, "x"] as const) {
      expect(await resolveJson(scalar, resolver)).toBe(scalar);
    }
  });

  it("never scans a resolved leaf again", async () => {
    const resolver = new FakeResolver({
      "{vault://env/a}": '{"k": "{vault://env/x}", "t": "${X}"}',
    });
    expect(await resolveJson({ v: ["{vault://env/a}"] }, resolver)).toStrictEqual({
      v: ['{"k": "{vault://env/x}", "t": "${X}"}'],
    });
    expect(resolver.seen).toStrictEqual(["{vault://env/a}"]);
  });

  it("keeps a __proto__ key from JSON.parse as a plain key", async () => {
    const resolver = new FakeResolver({ "{vault://env/a}": "fake-a" });
    const tree = JSON.parse('{"__proto__": {"p": "{vault://env/a}"}, "q": "x"}') as JsonValue;
    const out = await resolveJson(tree, resolver);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"p":"fake-a"},"q":"x"}');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  /** References the property draws from: identity, and the value the resolver gives. */
  const POOL: readonly { text: string; id: string }[] = [
    { text: "{vault://env/a}", id: "{vault://env/a}" },
    { text: "{vault://env/a?ttl=7}", id: "{vault://env/a}" },
    { text: "{vault://coffer/ml/b}", id: "{vault://coffer/ml/b}" },
    { text: "{vault://file/c/k}", id: "{vault://file/c/k}" },
    { text: "{vault://coffer/ml/b#2}", id: "{vault://coffer/ml/b#2}" },
  ];
  const VALUES: Readonly<Record<string, string>> = {
    "{vault://env/a}": "VALUE-A",
    "{vault://coffer/ml/b}": "VALUE-B {vault://env/zzz} ${X}",
    "{vault://file/c/k}": "",
    "{vault://coffer/ml/b#2}": "VALUE-B2",
  };

  type Piece = { ref: number } | { text: string };
  type Spec =
    | { leaf: Piece[] }
    | { scalar: number | boolean | null }
    | { array: Spec[] }
    | { object: [string, Spec][] };

  const piece: fc.Arbitrary<Piece> = fc.oneof(
    fc.nat({ max: POOL.length - 1 }).map((ref) => ({ ref })),
    unicodeText({ maxLength: 6 })
      .filter((text) => !text.includes("{vault://"))
      .map((text) => ({ text })),
  );
  const key = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom("__proto__", "constructor", "toString", "{vault://env/a}"),
  );
  const { spec } = fc.letrec<{ spec: Spec }>((tie) => ({
    spec: fc.oneof(
      { depthSize: "small", maxDepth: 5, withCrossShrink: true },
      fc.array(piece, { maxLength: 4 }).map((leaf): Spec => ({ leaf })),
      fc
        .oneof(fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null))
        .map((scalar): Spec => ({ scalar })),
      fc.array(tie("spec"), { maxLength: 4 }).map((array): Spec => ({ array })),
      fc
        .uniqueArray(fc.tuple(key, tie("spec")), { maxLength: 4, selector: ([k]) => k })
        .map((object): Spec => ({ object })),
    ),
  }));

  function build(s: Spec, leaf: (pieces: Piece[]) => string): JsonValue {
    if ("leaf" in s) return leaf(s.leaf);
    if ("scalar" in s) return s.scalar;
    if ("array" in s) return s.array.map((item) => build(item, leaf));
    return Object.fromEntries(s.object.map(([k, item]) => [k, build(item, leaf)]));
  }
  const raw = (pieces: Piece[]) =>
    pieces.map((p) => ("ref" in p ? POOL[p.ref]!.text : p.text)).join("");
  const resolved = (pieces: Piece[]) =>
    pieces.map((p) => ("ref" in p ? VALUES[POOL[p.ref]!.id]! : p.text)).join("");
  function idsUsed(s: Spec, into: Set<string>): Set<string> {
    if ("leaf" in s) for (const p of s.leaf) if ("ref" in p) into.add(POOL[p.ref]!.id);
    if ("array" in s) for (const item of s.array) idsUsed(item, into);
    if ("object" in s) for (const [, item] of s.object) idsUsed(item, into);
    return into;
  }

  it("maps arbitrary trees leaf by leaf, with at most one call of distinct references", async () => {
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        const resolver = new FakeResolver(VALUES);
        const out = await resolveJson(build(s, raw), resolver);
        const expected = build(s, resolved);
        // Not toStrictEqual: it compares .constructor, which an own "constructor" key shadows.
        expect(out).toEqual(expected);
        expect(JSON.stringify(out)).toBe(JSON.stringify(expected));
        const used = idsUsed(s, new Set());
        expect(resolver.calls).toHaveLength(used.size === 0 ? 0 : 1);
        expect(new Set(resolver.seen)).toStrictEqual(used);
        expect(resolver.seen).toHaveLength(used.size);
      }),
      { numRuns: 500 },
    );
  });
});

describe("resolveTemplate", () => {
  it("renders a template, each distinct reference fetched once in one call", async () => {
    const resolver = new FakeResolver({
      "{vault://coffer/ml/name}": "fake-name",
      "{vault://coffer/ml/db/password}": "fake-db-password",
      "{vault://coffer/TOKEN}": "fake-token",
    });
    const out = await resolveTemplate(
      '{"n": "${ml/name}", "p": "${ml/db/password}", "again": "${ml/name}", "lit": "$${ml/name}", "t": "${TOKEN}"}',
      resolver,
    );
    expect(out).toBe(
      '{"n": "fake-name", "p": "fake-db-password", "again": "fake-name", "lit": "${ml/name}", "t": "fake-token"}',
    );
    expect(resolver.calls).toHaveLength(1);
    expect(resolver.calls[0]).toStrictEqual([
      { backend: "coffer", resource: ["ml", "name"], options: {}, cache: {} },
      { backend: "coffer", resource: ["ml", "db"], key: "password", options: {}, cache: {} },
      { backend: "coffer", resource: ["TOKEN"], options: {}, cache: {} },
    ]);
  });

  it("does not call the resolver for a template without references", async () => {
    const resolver = new FakeResolver({});
    expect(await resolveTemplate("plain $${x} {vault://env/x} $", resolver)).toBe(
      "plain ${x} {vault://env/x} $",
    );
    expect(resolver.calls).toHaveLength(0);
  });

  it("never scans a resolved value again", async () => {
    const tricky = "${X} {vault://env/x} $${Y} ${";
    const resolver = new FakeResolver({
      "{vault://coffer/ml/a}": tricky,
      "{vault://coffer/X}": "NO",
    });
    expect(await resolveTemplate("<${ml/a}>", resolver)).toBe(`<${tricky}>`);
    expect(resolver.seen).toStrictEqual(["{vault://coffer/ml/a}"]);
  });

  it("throws on a failing outcome, naming the reference, never another value", async () => {
    const resolver = new FakeResolver({ "{vault://coffer/ml/ok}": "fake-ok-value-7" });
    const error = await rejection(resolveTemplate("${ml/ok} ${ml/gone}", resolver));
    expect(error.errorCode).toBe("NOT_FOUND");
    expect(error.message).toContain("{vault://coffer/ml/gone}");
    expect(error.message + JSON.stringify(error.details)).not.toContain("fake-ok-value-7");
  });

  it("refuses a malformed template before calling the resolver", async () => {
    const resolver = new FakeResolver({});
    const error = await rejection(resolveTemplate("${ml/ok} ${Bad/x}", resolver));
    expect(error).toBeInstanceOf(ReferenceSyntaxError);
    expect(resolver.calls).toHaveLength(0);
  });
});
