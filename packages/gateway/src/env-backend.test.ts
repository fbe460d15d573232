import { parseVaultReference, type ResolveOutcome } from "@coffer/core";
import { describe, expect, it } from "vitest";
import { envBackend, envSyntax } from "./env-backend.js";

const parse = (text: string) => parseVaultReference(text, { backends: { env: envSyntax } });

async function fetchOne(
  text: string,
  options: Parameters<typeof envBackend>[0],
): Promise<ResolveOutcome> {
  const [outcome] = await envBackend(options).fetch([parse(text)]);
  return outcome!;
}

const variables = {
  OPENAI_KEY: "fake-openai-key-0001",
  OPENAI_KEY_PREVIOUS: "fake-openai-key-0000",
  DB_CREDS: '{"username":"fake-user","password":"fake-password-0001","port":5432}',
  NOT_JSON: "fake-not-json-0001",
  GW_SERVICE_KEY: "fake-service-key-0001",
  GW_COFFER_DB: "fake-db-0001",
  EMPTY: "",
};

describe("env backend", () => {
  it("reads a variable by Kong's rules", async () => {
    expect(await fetchOne("{vault://env/openai-key}", { variables })).toEqual({
      ok: true,
      value: "fake-openai-key-0001",
    });
    expect(await fetchOne("{vault://env/openai_key#2}", { variables })).toEqual({
      ok: true,
      value: "fake-openai-key-0000",
    });
    expect(await fetchOne("{vault://env/empty}", { variables })).toEqual({ ok: true, value: "" });
  });

  it("picks a key out of a JSON value", async () => {
    expect(await fetchOne("{vault://env/db-creds/username}", { variables })).toEqual({
      ok: true,
      value: "fake-user",
    });
  });

  it("says what is wrong with a key without quoting the value", async () => {
    for (const text of [
      "{vault://env/not-json/key}",
      "{vault://env/db-creds/port}",
      "{vault://env/db-creds/nope}",
    ]) {
      const outcome = await fetchOne(text, { variables });
      expect(outcome.ok).toBe(false);
      if (outcome.ok) continue;
      expect(outcome.error.errorCode).toBe("UNPROCESSABLE_ENTITY");
      expect(JSON.stringify(outcome.error.toBody())).not.toMatch(/fake-(not-json|user|password)/);
    }
  });

  it("answers a missing variable with NOT_FOUND naming the reference", async () => {
    const outcome = await fetchOne("{vault://env/nope?ttl=5}", { variables });
    expect(outcome).toMatchObject({ ok: false, error: { errorCode: "NOT_FOUND" } });
    if (!outcome.ok) {
      expect(outcome.error.message).toBe(
        "{vault://env/nope}: environment variable NOPE is not set",
      );
    }
  });

  it("always puts its own prefix first (references cannot leave it)", async () => {
    const options = { variables, prefix: "GW_" };
    expect(await fetchOne("{vault://env/service-key}", options)).toEqual({
      ok: true,
      value: "fake-service-key-0001",
    });
    expect(await fetchOne("{vault://env/db?prefix=coffer_}", options)).toEqual({
      ok: true,
      value: "fake-db-0001",
    });
    expect(await fetchOne("{vault://env/openai-key}", options)).toMatchObject({ ok: false });
  });

  it("knows versions 1 and 2 only, when parsing", () => {
    expect(() => parse("{vault://env/a#3}")).toThrow(
      "the env backend has version 1 (current) and 2 (<NAME>_PREVIOUS)",
    );
  });

  it("reads process.env by default", async () => {
    process.env["COFFER_GATEWAY_TEST_VARIABLE"] = "fake-env-value-0001";
    try {
      expect(await fetchOne("{vault://env/coffer-gateway-test-variable}", {})).toEqual({
        ok: true,
        value: "fake-env-value-0001",
      });
    } finally {
      delete process.env["COFFER_GATEWAY_TEST_VARIABLE"];
    }
  });
});
