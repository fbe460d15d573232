import { describe, expect, it } from "vitest";
import { expectCofferError, thrownBy } from "../crypto/test-errors.js";
import { MAX_SECRET_VALUE_BYTES } from "../model/limits.js";
import { compileSchedule } from "../rotation/schedule.js";
import { validateOrThrow, type Validator } from "../validation.js";
import { rotationInputs, rotationJobInputs, rotatorInputs } from "./rotation.js";

/** The message of the INVALID_REQUEST that `validate` raises for `input`. */
function refusal<T>(validate: Validator<T>, input: unknown, what: string): string {
  return expectCofferError(
    thrownBy(() => validateOrThrow(validate, input, what)),
    "INVALID_REQUEST",
  ).message;
}

describe("rotation.configure", () => {
  const base = { secret: "ml/db_password", rotator: "ml/pg-main" };

  it.each([
    ["the least: defaults for the rest", base],
    ["every", { ...base, every: "30d", window: "4h" }],
    ["cron", { ...base, cron: "0 3 * * 1", window: "2h", auto: false }],
    [
      "targets and generator options",
      {
        ...base,
        rotator: "random",
        targets: ["password", "api_key"],
        generate: { length: 40, excludePunctuation: true },
        maxAttempts: 3,
      },
    ],
    ["a full URI", { ...base, secret: "secret://default/ml/db_password" }],
  ])("accepts %s", (_what, input) => {
    expect(rotationInputs.configure(input)).toBe(true);
  });

  it.each([
    [
      { ...base, every: "1d", cron: "0 3 * * *" },
      'at /cron: cannot be given together with "every"',
    ],
    [{ ...base, every: "90m" }, "at /every: must match pattern"],
    [{ ...base, every: "1d12h" }, "at /every: must match pattern"],
    [{ ...base, window: "2" }, "at /window: must match pattern"],
    [{ ...base, cron: "*" }, "at /cron: must NOT have fewer than 9 characters"],
    [{ ...base, targets: [] }, "at /targets: must NOT have fewer than 1 items"],
    [{ ...base, targets: ["a", "a"] }, "at /targets: must NOT have duplicate items"],
    [{ ...base, targets: [""] }, "at /targets/0: must NOT have fewer than 1 characters"],
    [
      { ...base, targets: Array.from({ length: 33 }, (_, i) => `k${i}`) },
      "at /targets: must NOT have more than 32 items",
    ],
    [{ ...base, generate: { PasswordLength: 20 } }, 'at /generate: unknown field "PasswordLength"'],
    [{ ...base, maxAttempts: 0 }, "at /maxAttempts: must be >= 1"],
    [{ ...base, maxAttempts: 11 }, "at /maxAttempts: must be <= 10"],
    [{ ...base, auto: "yes" }, "at /auto: must be boolean"],
    [{ ...base, rotator: "Ml/pg" }, "at /rotator: must match pattern"],
    [{ ...base, rotator: "a/b/c" }, "at /rotator: must match pattern"],
    [{ ...base, value: "fake-value" }, 'unknown field "value"'],
    [{ secret: "x" }, "must have required property 'rotator'"],
    [{ rotator: "r" }, "must have required property 'secret'"],
  ])("refuses %j", (input, message) => {
    expect(refusal(rotationInputs.configure, input, "rotation policy")).toContain(message);
  });

  it("a duration the schema accepts is one the schedule parses (or refuses with bounds)", () => {
    expect(rotationInputs.configure({ ...base, every: "731d" })).toBe(true);
    const error = expectCofferError(
      thrownBy(() => compileSchedule({ every: "731d" })),
      "INVALID_REQUEST",
    );
    expect(error.message).toBe("invalid every: must be from 1h to 730d");
  });
});

describe("rotation operators", () => {
  it("get, run, test, cancel, retry, rollback take the secret and nothing else", () => {
    expect(rotationInputs.secret({ secret: "db" })).toBe(true);
    expect(refusal(rotationInputs.secret, { secret: "db", job: "x" }, "rotation")).toBe(
      'invalid rotation: unknown field "job"',
    );
    expect(refusal(rotationInputs.secret, { secret: "" }, "rotation")).toContain("at /secret");
  });

  it("setAuto needs a boolean", () => {
    expect(rotationInputs.setAuto({ secret: "db", auto: false })).toBe(true);
    expect(refusal(rotationInputs.setAuto, { secret: "db" }, "rotation")).toBe(
      "invalid rotation: must have required property 'auto'",
    );
  });

  it("jobs pages like other lists and filters by a SPEC state", () => {
    expect(
      rotationInputs.jobs({ secret: "db", state: "rolled_back", limit: 50, cursor: "abc_-1" }),
    ).toBe(true);
    expect(
      refusal(rotationInputs.jobs, { secret: "db", state: "done" }, "rotation jobs"),
    ).toContain("at /state: must be equal to one of the allowed values");
    expect(refusal(rotationInputs.jobs, { secret: "db", limit: 501 }, "rotation jobs")).toContain(
      "at /limit: must be <= 500",
    );
    expect(
      refusal(rotationInputs.jobs, { secret: "db", cursor: "a b" }, "rotation jobs"),
    ).toContain("at /cursor: must match pattern");
  });
});

describe("rotator.create", () => {
  const postgres = { adminSecret: "ops/pg_admin", role: "app_user", database: "app" };
  const webhook = {
    url: "https://rotate.example.com/hook",
    signingSecret: "hook_key",
    mode: "callback",
  };

  it.each([
    ["random", { name: "random", kind: "random", description: "fake" }],
    ["postgres", { name: "pg-main", owner: "ml", kind: "postgres", postgres }],
    [
      "postgres without database",
      { name: "pg", kind: "postgres", postgres: { adminSecret: "a", role: "r" } },
    ],
    ["webhook", { name: "hook", kind: "webhook", webhook }],
    [
      "webhook on http, driver by default",
      { name: "hook", kind: "webhook", webhook: { url: "http://127.0.0.1:9000/x" } },
    ],
  ])("accepts %s", (_what, input) => {
    expect(rotatorInputs.create(input)).toBe(true);
  });

  it.each([
    [{ name: "pg", kind: "postgres" }, "must have required property 'postgres'"],
    [{ name: "h", kind: "webhook" }, "must have required property 'webhook'"],
    [
      { name: "r", kind: "random", postgres },
      "at /postgres: is not allowed with the other fields given",
    ],
    [
      { name: "h", kind: "webhook", webhook, postgres },
      "at /postgres: is not allowed with the other fields given",
    ],
    [
      { name: "p", kind: "postgres", postgres, webhook },
      "at /webhook: is not allowed with the other fields given",
    ],
    [{ name: "x", kind: "ldap" }, "at /kind: must be equal to one of the allowed values"],
    [
      { name: "pg", kind: "postgres", postgres: { ...postgres, password: "fake-pw" } },
      'at /postgres: unknown field "password"',
    ],
    [
      { name: "pg", kind: "postgres", postgres: { adminSecret: "a" } },
      "at /postgres: must have required property 'role'",
    ],
    [
      { name: "pg", kind: "postgres", postgres: { ...postgres, role: 'x"; DROP ROLE y' } },
      "at /postgres/role: must match pattern",
    ],
    [
      { name: "h", kind: "webhook", webhook: { url: "ftp://x" } },
      "at /webhook/url: must match pattern",
    ],
    [
      { name: "h", kind: "webhook", webhook: { url: "https://a b" } },
      "at /webhook/url: must match pattern",
    ],
    [
      { name: "h", kind: "webhook", webhook: { ...webhook, mode: "push" } },
      "at /webhook/mode: must be equal to one of the allowed values",
    ],
    [{ name: "2x", kind: "random" }, "at /name: must match pattern"],
    [{ name: "r", kind: "random", owner: "ML" }, "at /owner: must match pattern"],
    [{ name: "r", kind: "random", config: {} }, 'unknown field "config"'],
  ])("refuses %j", (input, message) => {
    expect(refusal(rotatorInputs.create, input, "rotator")).toContain(message);
  });

  it("list, get and delete", () => {
    expect(rotatorInputs.list({})).toBe(true);
    expect(rotatorInputs.list({ owner: "ml", limit: 10 })).toBe(true);
    expect(rotatorInputs.ref({ rotator: "ml/pg-main" })).toBe(true);
    expect(refusal(rotatorInputs.ref, { rotator: "pg", force: true }, "rotator")).toBe(
      'invalid rotator: unknown field "force"',
    );
  });
});

describe("rotation.job.* (job token side)", () => {
  it("start, addPending, complete and heartbeat take nothing", () => {
    expect(rotationJobInputs.none({})).toBe(true);
    expect(refusal(rotationJobInputs.none, { job: "job_0123456789abcdef" }, "job call")).toBe(
      'invalid job call: unknown field "job"',
    );
  });

  it("updatePending takes a value up to 64 KiB", () => {
    expect(rotationJobInputs.updatePending({ value: "fake-new-password" })).toBe(true);
    const big = "x".repeat(MAX_SECRET_VALUE_BYTES + 1);
    const message = refusal(rotationJobInputs.updatePending, { value: big }, "pending value");
    expect(message).toBe(
      `invalid pending value at /value: must be at most ${MAX_SECRET_VALUE_BYTES} bytes`,
    );
    expect(refusal(rotationJobInputs.updatePending, {}, "pending value")).toBe(
      "invalid pending value: must have required property 'value'",
    );
  });

  it("fail takes a bounded reason and whether to retry", () => {
    expect(rotationJobInputs.fail({ reason: "role missing", retryable: false })).toBe(true);
    expect(refusal(rotationJobInputs.fail, { reason: "" }, "failure")).toContain(
      "at /reason: must NOT have fewer than 1 characters",
    );
    expect(refusal(rotationJobInputs.fail, { reason: "x".repeat(1025) }, "failure")).toContain(
      "at /reason: must NOT have more than 1024 characters",
    );
    expect(refusal(rotationJobInputs.fail, { reason: "bad\u0000" }, "failure")).toContain(
      "at /reason: must not contain a NUL character",
    );
  });
});
