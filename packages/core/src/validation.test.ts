import { describe, expect, it } from "vitest";
import { CofferError } from "./errors.js";
import { MAX_SECRET_VALUE_BYTES } from "./model/limits.js";
import { validateOrThrow, validators } from "./validation.js";

function rejection(run: () => unknown): CofferError {
  try {
    run();
  } catch (error) {
    if (error instanceof CofferError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("names", () => {
  it.each([
    ["alice", true],
    ["ml-team-2", true],
    ["a" + "b".repeat(38), true],
    ["a" + "b".repeat(39), false],
    ["Alice", false],
    ["1abc", false],
    ["-abc", false],
    ["", false],
    ["al ice", false],
  ])("principal %j → %s", (name, ok) => {
    expect(validators.principalName(name)).toBe(ok);
  });

  it.each([
    ["OPENAI_KEY", true],
    ["_x", true],
    ["db-pass_2", true],
    ["x" + "y".repeat(127), true],
    ["x" + "y".repeat(128), false],
    ["2fa", false],
    ["-x", false],
    ["a.b", false],
    ["a/b", false],
    ["", false],
  ])("secret %j → %s", (name, ok) => {
    expect(validators.secretName(name)).toBe(ok);
  });
});

describe("secret values", () => {
  it("allow UTF-8 up to 64 KiB counted in bytes, not characters", () => {
    expect(validators.secretValue("x".repeat(MAX_SECRET_VALUE_BYTES))).toBe(true);
    expect(validators.secretValue("x".repeat(MAX_SECRET_VALUE_BYTES + 1))).toBe(false);
    // "é" is 2 bytes: 32,768 of them fill 64 KiB exactly, one more does not fit.
    expect(validators.secretValue("é".repeat(MAX_SECRET_VALUE_BYTES / 2))).toBe(true);
    expect(validators.secretValue("é".repeat(MAX_SECRET_VALUE_BYTES / 2) + "x")).toBe(false);
    expect(validators.secretValue("")).toBe(true);
    expect(validators.secretValue(42)).toBe(false);
  });

  it("refuse text that is not valid UTF-8 (a lone surrogate would be silently altered)", () => {
    expect(validators.secretValue("ok\uD800")).toBe(false);
    const error = rejection(() =>
      validateOrThrow(validators.secretValue, "fake\uDC00value", "secret value"),
    );
    expect(error.message).toBe("invalid secret value: must be valid UTF-8 text");
  });

  it("an oversized value's error names the limit and not the value", () => {
    const value = "fake-canary-".repeat(6000);
    const error = rejection(() => validateOrThrow(validators.secretValue, value, "secret value"));
    expect(error.errorCode).toBe("INVALID_REQUEST");
    expect(error.message).toBe(
      `invalid secret value: must be at most ${MAX_SECRET_VALUE_BYTES} bytes`,
    );
    expect(JSON.stringify(error.toBody())).not.toContain("fake-canary");
  });
});

describe("grants and scopes", () => {
  const grant = { subject: "bob", resource: "secret://default/alice/db_pass", level: "read" };

  it("accept exact and owner-wildcard resources", () => {
    expect(validators.grant(grant)).toBe(true);
    expect(validators.grant({ ...grant, resource: "secret://default/ml/*" })).toBe(true);
    expect(validators.tokenScopes([{ resource: "*", level: "manage" }])).toBe(true);
  });

  it.each([
    ["an unknown field", { ...grant, expires: 1 }, 'invalid grant: unknown field "expires"'],
    [
      "a missing field",
      { subject: "bob", resource: grant.resource },
      "invalid grant: must have required property 'level'",
    ],
    [
      "a bad level",
      { ...grant, level: "admin" },
      "invalid grant at /level: must be equal to one of the allowed values",
    ],
    [
      "a bad subject",
      { ...grant, subject: "Bob" },
      'invalid grant at /subject: must match pattern "^[a-z][a-z0-9-]{0,38}$"',
    ],
    [
      "an org wildcard",
      { ...grant, resource: "secret://default/*" },
      "invalid grant at /resource: must match pattern",
    ],
    [
      "a versioned URI",
      { ...grant, resource: "secret://default/alice/db#2" },
      "invalid grant at /resource: must match pattern",
    ],
  ])("refuse %s with a message that says where and why", (_what, input, message) => {
    const error = rejection(() => validateOrThrow(validators.grant, input, "grant"));
    expect(error.errorCode).toBe("INVALID_REQUEST");
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.details["issues"]).toBeInstanceOf(Array);
  });

  it("bound the number of scopes and refuse an empty list", () => {
    const scope = { resource: "*", level: "read" };
    expect(validators.tokenScopes([])).toBe(false);
    expect(validators.tokenScopes(Array.from({ length: 32 }, () => scope))).toBe(true);
    expect(validators.tokenScopes(Array.from({ length: 33 }, () => scope))).toBe(false);
  });
});

describe("secret URIs", () => {
  it.each([
    ["secret://default/alice/db", true],
    ["secret://default/alice/db#12", true],
    ["secret://default/alice/db#0", false],
    ["secret://default/alice/db#01", false],
    ["secret://default/alice/db#999999999", true],
    ["secret://default/alice/*", false],
    ["secret://default/alice", false],
    ["secrets://default/alice/db", false],
  ])("%s → %s", (uri, ok) => {
    expect(validators.secretUri(uri)).toBe(ok);
  });
});

describe("random secret options", () => {
  it("accept AWS's options and refuse others", () => {
    expect(
      validators.randomSecretOptions({ length: 20, excludePunctuation: true, includeSpace: true }),
    ).toBe(true);
    expect(validators.randomSecretOptions({ PasswordLength: 20 })).toBe(false);
    expect(validators.randomSecretOptions({ length: 0 })).toBe(false);
    expect(validators.randomSecretOptions({ length: 4097 })).toBe(false);
    expect(validators.randomSecretOptions({ length: 2.5 })).toBe(false);
    expect(validators.randomSecretOptions({ excludeNumbers: "yes" })).toBe(false);
  });
});

describe("the URI schema and parser agree", () => {
  it.each(["#1", "#12", "#01", "#0", "#999999999", "#2147483647", "#9999999999", "#-1", "#"])(
    "%s",
    async (suffix) => {
      const { parseSecretUri } = await import("./references/secret-uri.js");
      const uri = `secret://default/alice/db${suffix}`;
      let parsed = true;
      try {
        parseSecretUri(uri);
      } catch {
        parsed = false;
      }
      // The schema is the narrower of the two (at most 9 digits); it never accepts what the parser refuses.
      if (validators.secretUri(uri)) expect(parsed).toBe(true);
      if (suffix === "#01" || suffix === "#0") expect(parsed).toBe(false);
    },
  );
});

describe("every schema", () => {
  it("compiles (validators compile on first use, so a broken schema would show only there)", async () => {
    const core: Record<string, unknown> = await import("./index.js");
    const found: string[] = [];
    const isValidator = (v: unknown): v is { compile(): void } =>
      typeof v === "function" && "compile" in v;
    for (const [name, value] of Object.entries(core)) {
      if (isValidator(value)) {
        value.compile();
        found.push(name);
      }
      if (typeof value !== "object" || value === null) continue;
      for (const [key, member] of Object.entries(value)) {
        if (isValidator(member)) {
          member.compile();
          found.push(`${name}.${key}`);
        }
      }
    }
    expect(found).toContain("validators.secretUri");
    expect(found).toContain("trustPolicyInputs.exchange");
    expect(found).toContain("gatewayOptionsValidator");
    expect(found.length).toBeGreaterThanOrEqual(40);
  });
});
