import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { envVariableName } from "./env-backend-rules.js";
import { syntaxError } from "./test-arbitraries.js";
import { parseVaultReference, type VaultReference } from "./vault-reference.js";

const variable = (text: string) => envVariableName(parseVaultReference(text));

describe("envVariableName (Kong's env vault)", () => {
  it("uppercases the resource and turns - into _", () => {
    expect(variable("{vault://env/my-secret}")).toBe("MY_SECRET");
    expect(variable("{vault://env/Already_Upper-9}")).toBe("ALREADY_UPPER_9");
  });

  it("puts the prefix first, with the same rules", () => {
    expect(variable("{vault://env/db-password?prefix=my-app-}")).toBe("MY_APP_DB_PASSWORD");
    expect(variable("{vault://env/token?prefix=CI_}")).toBe("CI_TOKEN");
  });

  it("ignores the key, which is read from the variable's JSON value", () => {
    expect(variable("{vault://env/my-secret/user-name}")).toBe("MY_SECRET");
  });

  it("joins a multi-segment resource with /", () => {
    expect(variable("{vault://env/a/b-c/}")).toBe("A/B_C");
  });

  it("reads #2 as <NAME>_PREVIOUS and #1 as the variable itself", () => {
    expect(variable("{vault://env/my-secret#2}")).toBe("MY_SECRET_PREVIOUS");
    expect(variable("{vault://env/my-secret?prefix=x-#2}")).toBe("X_MY_SECRET_PREVIOUS");
    expect(variable("{vault://env/my-secret#1}")).toBe("MY_SECRET");
  });

  it("refuses any other version", () => {
    for (const n of [3, 10, 2147483647]) {
      const error = syntaxError(() => variable(`{vault://env/my-secret#${n}}`));
      expect(error.errorCode).toBe("INVALID_REQUEST");
      expect(error.reason).toMatch(/version 1 .* and 2/);
      expect(error.message).toContain("{vault://env/my-secret");
    }
  });

  it("holds for arbitrary ASCII names", () => {
    const part = fc.stringMatching(/^[a-zA-Z0-9_-]{1,20}$/);
    fc.assert(
      fc.property(
        part,
        fc.option(part, { nil: undefined }),
        fc.constantFrom(undefined, 1, 2),
        (resource, prefix, version) => {
          const ref: VaultReference = {
            backend: "env",
            resource: [resource],
            options: prefix === undefined ? {} : { prefix },
            cache: {},
          };
          if (version !== undefined) ref.version = version;
          const name = envVariableName(ref);
          const base = `${prefix ?? ""}${resource}`.toUpperCase().replaceAll("-", "_");
          expect(name).toBe(version === 2 ? `${base}_PREVIOUS` : base);
          expect(name).toMatch(/^[A-Z0-9_]+$/);
        },
      ),
    );
  });
});
