/**
 * Shared fast-check arbitraries and assertions for the reference tests (not built: the build
 * excludes `src/**\/test-*.ts`).
 */
import fc from "fast-check";
import { expect } from "vitest";
import { CofferError } from "../errors.js";
import { ReferenceSyntaxError } from "./reference-error.js";

/** Runs for the "throws nothing but ReferenceSyntaxError" properties. */
export const FUZZ_RUNS = 10_000;

/** A user or team name (SPEC §2). */
export const principalName = fc.stringMatching(/^[a-z][a-z0-9-]{0,38}$/);
/** A secret name (SPEC §2). */
export const secretName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/);

/** Characters that mean something in a reference, plus some that must be escaped. */
const SPECIAL_CHARS = ["/", "?", "#", "%", "{", "}", "&", "+", "=", " ", "$", "-", ".", "~"];

/**
 * Well-formed Unicode text, biased towards the characters a reference gives meaning to
 * (`/ ? # % { } & + =`, spaces) so that escaping is exercised.
 */
export const unicodeText = (constraints: { minLength?: number; maxLength?: number } = {}) =>
  fc.oneof(
    fc.string({ unit: "binary", ...constraints }),
    fc.string({ unit: "grapheme", ...constraints }),
    fc.string({
      unit: fc.oneof(
        fc.constantFrom(...SPECIAL_CHARS, "a", "Z", "0", "é", "日", "😀", "%2F", "%ZZ"),
        fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      ),
      ...constraints,
    }),
  );

/** Pieces that near-valid references, URIs and templates are made of. */
const FRAGMENTS = [
  "{vault://",
  "vault://",
  "{vault:/",
  "secret://",
  "${",
  "$${",
  "$",
  "{",
  "}",
  "env",
  "file",
  "coffer",
  "constructor",
  "__proto__",
  "toString",
  "default",
  "ml",
  "openai_key",
  "my-secret",
  "Name",
  "_",
  "-",
  "/",
  "//",
  "?",
  "#",
  "%",
  "%ZZ",
  "%2F",
  "%7D",
  "%7B",
  "%20",
  "%E0%A4",
  "%ED%A0%80",
  "%C3%A9",
  "=",
  "&",
  "+",
  "ttl",
  "neg_ttl",
  "resurrect_ttl",
  "prefix",
  "stage",
  "current",
  "previous",
  "pending",
  "0",
  "1",
  "2",
  "42",
  "-1",
  "1.5",
  "01",
  "31536000",
  "31536001",
  "2147483647",
  "2147483648",
  "9999999999",
  "99999999999",
  " ",
  "\t",
  "\n",
  "\u0000",
  "\u007f",
  "é",
  "日本",
  "😀",
  "\uD800",
  "\uDC00",
  "a",
  "Z",
];

const fragment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) },
);

/** Strings assembled from meaningful fragments, optionally starting with a given prefix. */
export const fragmentString = (starts: readonly string[] = []) =>
  fc
    .tuple(
      starts.length > 0 ? fc.constantFrom("", ...starts) : fc.constant(""),
      fc.array(fragment, { maxLength: 24 }),
    )
    .map(([start, pieces]) => start + pieces.join(""));

/** Takes valid texts and breaks them a little: insert, delete or replace at a random place. */
export const mutated = (valid: fc.Arbitrary<string>) =>
  fc
    .tuple(valid, fc.nat(), fc.nat({ max: 3 }), fc.array(fragment, { maxLength: 2 }))
    .map(([text, at, remove, inserted]) => {
      const i = text.length === 0 ? 0 : at % (text.length + 1);
      return text.slice(0, i) + inserted.join("") + text.slice(i + remove);
    });

/** Arbitrary input for a parser, biased towards near-valid text. */
export const parserInput = (valid: fc.Arbitrary<string>, starts: readonly string[]) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.string({ unit: "binary" }) },
    { weight: 4, arbitrary: fragmentString(starts) },
    { weight: 2, arbitrary: valid },
    { weight: 4, arbitrary: mutated(valid) },
  );

/** Calls `parse`; if it throws, the error must be a ReferenceSyntaxError pointing inside `input`. */
export function expectOnlySyntaxErrors(input: string, parse: (text: string) => unknown): void {
  let thrown: unknown;
  try {
    parse(input);
    return;
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ReferenceSyntaxError);
  const error = thrown as ReferenceSyntaxError;
  expect(error).toBeInstanceOf(CofferError);
  expect(error.errorCode).toBe("INVALID_REQUEST");
  expect(Number.isInteger(error.position)).toBe(true);
  expect(error.position).toBeGreaterThanOrEqual(0);
  expect(error.position).toBeLessThanOrEqual(input.length);
  expect(error.reason).not.toBe("");
}

/** Runs `action`, expects a ReferenceSyntaxError and returns it. */
export function syntaxError(action: () => unknown): ReferenceSyntaxError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ReferenceSyntaxError);
    return error as ReferenceSyntaxError;
  }
  throw new Error("expected a ReferenceSyntaxError, but nothing was thrown");
}
