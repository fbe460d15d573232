import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CofferError } from "../errors.js";
import { pickJsonKey } from "./json-key.js";

const FAKE = "fake-secret-abc123";
const LABEL = "secret ml/db";

function failure(value: string, key: string): CofferError {
  try {
    pickJsonKey(value, key, LABEL);
  } catch (error) {
    expect(error).toBeInstanceOf(CofferError);
    return error as CofferError;
  }
  throw new Error("expected pickJsonKey to throw");
}

describe("pickJsonKey", () => {
  it("picks a string out of a JSON object", () => {
    expect(pickJsonKey(`{"user": "fake-user", "password": "${FAKE}"}`, "password", LABEL)).toBe(
      FAKE,
    );
    expect(pickJsonKey('{"": "empty key", "a b/c": "x"}', "", LABEL)).toBe("empty key");
    expect(pickJsonKey('{"a b/c": ""}', "a b/c", LABEL)).toBe("");
    expect(pickJsonKey('{"__proto__": "own"}', "__proto__", LABEL)).toBe("own");
  });

  it("picks any key of any flat object of strings", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.string(), { minKeys: 1, noNullPrototype: true }),
        fc.nat(),
        (object, i) => {
          const keys = Object.keys(object);
          const key = keys[i % keys.length]!;
          expect(pickJsonKey(JSON.stringify(object), key, LABEL)).toBe(object[key]);
        },
      ),
    );
  });

  const cases: [string, string, string, RegExp][] = [
    ["not JSON", `{"password": "${FAKE}"`, "not-json", /is not JSON, so it has no key "password"/],
    ["not JSON", `${FAKE}`, "not-json", /is not JSON/],
    ["not JSON", `{'password': '${FAKE}'}`, "not-json", /is not JSON/],
    ["a string", JSON.stringify(FAKE), "not-object", /is not a JSON object/],
    ["a number", "12345", "not-object", /is not a JSON object/],
    ["null", "null", "not-object", /is not a JSON object/],
    ["an array", `["${FAKE}"]`, "not-object", /is not a JSON object/],
    ["missing key", `{"other": "${FAKE}"}`, "missing-key", /has no key "password"/],
    ["an object", `{"password": {"inner": "${FAKE}"}}`, "not-string", /is not a string/],
    ["an array", `{"password": ["${FAKE}"]}`, "not-string", /is not a string/],
    ["a number", '{"password": 12345}', "not-string", /is not a string/],
    ["null", '{"password": null}', "not-string", /is not a string/],
  ];

  it.each(cases)(
    "refuses %s (%s) with UNPROCESSABLE_ENTITY, never showing the value",
    (_what, value, reason, message) => {
      const error = failure(value, "password");
      expect(error.errorCode).toBe("UNPROCESSABLE_ENTITY");
      expect(error.httpStatus).toBe(422);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(LABEL);
      expect(error.details).toStrictEqual({ reason });
      const shown = error.message + JSON.stringify(error.details) + JSON.stringify(error.toBody());
      expect(shown).not.toContain(FAKE);
      expect(shown).not.toContain("12345");
    },
  );

  it("does not find inherited keys", () => {
    for (const key of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      expect(failure("{}", key).details).toStrictEqual({ reason: "missing-key" });
    }
  });

  it("never shows an arbitrary value in an error", () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{10,30}$/).map((s) => `fake-${s}`);
    const broken = fc.constantFrom(
      (s: string) => `{"password": "${s}"`,
      (s: string) => `{"password": ${s}}`,
      (s: string) => `[${JSON.stringify(s)}]`,
      (s: string) => JSON.stringify({ other: s }),
      (s: string) => JSON.stringify({ password: { s } }),
      (s: string) => JSON.stringify(s),
    );
    fc.assert(
      fc.property(secret, broken, (s, wrap) => {
        const error = failure(wrap(s), "password");
        expect(error.errorCode).toBe("UNPROCESSABLE_ENTITY");
        expect(error.message + JSON.stringify(error.details)).not.toContain(s);
      }),
    );
  });
});
