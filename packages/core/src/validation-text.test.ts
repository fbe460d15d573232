/**
 * Text and times a request may carry: what PostgreSQL cannot store (NUL, lone surrogates) and
 * times it or JavaScript cannot hold (year 0, year 10000) are refused by the schemas, with an
 * error that names the field.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditInputs } from "./api/audit.js";
import { trustPolicyInputs } from "./api/oidc.js";
import { secretInputs } from "./api/secrets.js";
import { tokenInputs } from "./api/tokens.js";
import { CofferError } from "./errors.js";
import {
  findUnstorableText,
  isDateTime,
  isStorableText,
  validateOrThrow,
  validators,
  type Validator,
} from "./validation.js";

function refusal<T>(validate: Validator<T>, data: unknown): CofferError {
  try {
    validateOrThrow(validate, data, "input");
  } catch (error) {
    if (error instanceof CofferError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

/** Any UTF-16 code units, lone surrogates and NUL included. */
const anyCodeUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
  .map((units) => String.fromCharCode(...units));

describe("storable text", () => {
  it("is text without NUL and without a lone surrogate", () => {
    fc.assert(
      fc.property(anyCodeUnits, (text) => {
        const expected = !text.includes("\u0000") && text.isWellFormed();
        expect(isStorableText(text)).toBe(expected);
        // Every string schema gets the rule without saying so: a description is one.
        expect(validators.description(text)).toBe(expected);
      }),
    );
  });

  it.each([
    ["a NUL", "fake\u0000description", "must not contain a NUL character (U+0000)"],
    ["a lone surrogate", "fake\ud800", "must be valid Unicode text (it holds a lone surrogate)"],
    [
      "a lone low surrogate",
      "\udc00fake",
      "must be valid Unicode text (it holds a lone surrogate)",
    ],
  ])("a description with %s is refused, naming the field", (_what, description, message) => {
    const error = refusal(secretInputs.description, { secret: "x", description });
    expect(error.errorCode).toBe("INVALID_REQUEST");
    expect(error.message).toBe(`invalid input at /description: ${message}`);
    expect(error.details["issues"]).toEqual([{ path: "/description", message }]);
  });

  it("applies to free text in every request schema, at any depth", () => {
    const policy = {
      identity: "ci",
      issuer: "https://issuer.example.com",
      audience: "coffer",
      conditions: { repository: "acme/app", ref: ["refs/heads/main", "refs/\u0000"] },
      scopes: [{ resource: "secret://default/ml/*", level: "read" }],
    };
    expect(refusal(trustPolicyInputs.create, policy).message).toBe(
      "invalid input at /conditions/ref/1: must not contain a NUL character (U+0000)",
    );
    expect(refusal(auditInputs.list, { actor: "adm\u0000in" }).message).toContain("/actor");
    expect(refusal(auditInputs.list, { action: "\ud800" }).message).toContain("/action");
    expect(refusal(secretInputs.list, { prefix: "a\u0000" }).message).toContain("/prefix");
    expect(
      refusal(tokenInputs.create, { name: "fake\udc00", expiresInSeconds: 3600 }).message,
    ).toContain("/name");
    expect(
      refusal(secretInputs.protectionKey, { secret: "x", protectionKeyId: "pk_\u0000" }).message,
    ).toContain("/protectionKeyId");
    expect(refusal(secretInputs.list, { cursor: "a\u0000" }).message).toContain("/cursor");
  });

  it("a secret value may hold a NUL (it is stored encrypted), not a lone surrogate", () => {
    expect(validators.secretValue("fake\u0000value")).toBe(true);
    expect(validators.secretValue("fake\ud800value")).toBe(false);
  });

  it("an unknown field's name is shown escaped, whatever it holds", () => {
    for (const name of ["\ud800", "\u0000", "a\u001bb"]) {
      const error = refusal(auditInputs.list, { [name]: 1 });
      expect(error.message).toBe(`invalid input: unknown field ${JSON.stringify(name)}`);
      expect(error.message.isWellFormed()).toBe(true);
    }
    // Cut at 64 code units without leaving half of a pair unescaped.
    const long = refusal(auditInputs.list, { ["x".repeat(63) + "😀"]: 1 });
    expect(long.message.isWellFormed()).toBe(true);
  });

  it("finds the first unstorable string in decoded data, keys included", () => {
    expect(findUnstorableText({ iss: "https://x", aud: ["a", "b"] })).toBeUndefined();
    expect(findUnstorableText({ iss: "https://x\u0000" })).toEqual({
      path: "iss",
      problem: "must not contain a NUL character (U+0000)",
    });
    expect(findUnstorableText({ aud: ["a", "\ud800"] })?.path).toBe("aud/1");
    expect(findUnstorableText({ nested: { ["k\u0000"]: 1 } })).toEqual({
      path: "nested/k\u0000",
      problem: "has a name that must not contain a NUL character (U+0000)",
    });
  });
});

describe("date-time", () => {
  it.each([
    "2026-01-31T12:00:00Z",
    "2026-01-31t12:00:00z",
    "2026-01-31T12:00Z",
    "2026-01-31T12:00:00.123456789+02:00",
    "2026-01-31T12:00:00-05:30",
    "2026-01-31",
    "2024-02-29T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999Z",
  ])("accepts %s", (text) => {
    expect(isDateTime(text)).toBe(true);
    expect(auditInputs.list({ since: text })).toBe(true);
  });

  it.each([
    "0000-01-01T00:00:00Z",
    "0000-01-01",
    "10000-01-01T00:00:00Z",
    "+275760-09-13T00:00:00Z",
    "-000001-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2025-02-29",
    "2026-13-01T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T23:60:00Z",
    "2026-01-01T23:59:60Z",
    "2026-01-01T12:00:00",
    "2026-01-01T12:00:00+24:00",
    "2026-01-01 12:00:00Z",
    "2026-01-01 and then some",
    "yesterday",
    "",
  ])("refuses %j, naming the field in plain words", (text) => {
    expect(isDateTime(text)).toBe(false);
    expect(refusal(auditInputs.list, { since: text }).message).toBe(
      "invalid input at /since: must be a date and time from year 1 to 9999, as 2026-01-31T12:00:00Z (an offset or Z after a time)",
    );
  });
});

describe("fields that take several forms", () => {
  it("the error names the deepest field, not the union", () => {
    const policy = {
      identity: "ci",
      issuer: "https://issuer.example.com",
      audience: "coffer",
      conditions: { repository: "acme/app", ref: [""] },
      scopes: [{ resource: "secret://default/ml/*", level: "read" }],
    };
    expect(refusal(trustPolicyInputs.create, policy).message).toBe(
      "invalid input at /conditions/ref/0: must NOT have fewer than 1 characters",
    );
  });
});
