import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findReferenceLookalikes } from "./lookalikes.js";
import { FUZZ_RUNS } from "./test-arbitraries.js";

const kinds = (text: string): [number, string][] =>
  findReferenceLookalikes(text).map((l) => [l.start, l.kind]);

describe("findReferenceLookalikes", () => {
  it("finds a brace-opened reference with the wrong punctuation, case or spacing", () => {
    for (const text of [
      "Bearer {vault:/coffer/ml/key}",
      "Bearer {vault//coffer/ml/key}",
      "Bearer {vault:coffer/ml/key}",
      "Bearer { vault://coffer/ml/key}",
      "Bearer {VAULT://coffer/ml/key}",
      "Bearer {Vault ://coffer/ml/key}",
    ]) {
      expect(kinds(text), text).toEqual([[7, "mistyped"]]);
    }
  });

  it("says where, what and how to fix it, quoting only the look-alike", () => {
    expect(findReferenceLookalikes("fake-literal-0001 {vault:/coffer/ml/key}")).toEqual([
      {
        start: 18,
        end: 26,
        kind: "mistyped",
        message:
          'character 19: "{vault:/" looks like a mistyped reference: a reference starts with "{vault://"',
      },
    ]);
    expect(findReferenceLookalikes("Bearer vault://coffer/ml/key")).toEqual([
      {
        start: 7,
        end: 15,
        kind: "unbraced",
        message:
          'character 8: "vault://" without "{" is not a reference (write {vault://…}); if it is meant as text, ignore this',
      },
    ]);
  });

  it("finds vault:// without its brace, in any case", () => {
    expect(kinds("vault://env/x and VAULT://env/y")).toEqual([
      [0, "unbraced"],
      [18, "unbraced"],
    ]);
  });

  it("finds nothing in well-formed references, even next to a look-alike", () => {
    expect(kinds("{vault://coffer/ml/key}")).toEqual([]);
    expect(kinds("{vault://env/a}{vault:/env/b}")).toEqual([[15, "mistyped"]]);
    expect(kinds("{vault://file/x?prefix=vault:}")).toEqual([]);
    expect(kinds("plain text, a vault, vaults: {vaulted}")).toEqual([]);
  });

  it("finds nothing in text that has no 'vault'", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!/vault/i.test(text));
        expect(findReferenceLookalikes(text)).toEqual([]);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("cuts a long look-alike in its message", () => {
    const [found] = findReferenceLookalikes(`{${" ".repeat(40)}vault:/x}`);
    expect(found?.message).toBe(
      `character 1: "{${" ".repeat(23)}…" looks like a mistyped reference: a reference starts with "{vault://"`,
    );
  });
});
