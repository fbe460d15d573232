import { describe, expect, it } from "vitest";
import { expectCofferError, thrownBy } from "../crypto/test-errors.js";
import { validateOrThrow, type Validator } from "../validation.js";
import {
  automationInputs,
  deliveryInputs,
  HOOK_EVENT_TYPES,
  hookInputs,
  usedByInputs,
} from "./hooks.js";

function refusal<T>(validate: Validator<T>, input: unknown): string {
  return expectCofferError(
    thrownBy(() => validateOrThrow(validate, input, "hook")),
    "INVALID_REQUEST",
  ).message;
}

describe("hook schemas", () => {
  const hook = { name: "notify", url: "https://hooks.example.test/x" };

  it.each([
    ["hook.create, the least", hookInputs.create, hook],
    [
      "hook.create, all",
      hookInputs.create,
      {
        ...hook,
        owner: "ml",
        description: "W&B-style",
        headers: { Authorization: "Bearer ${ml/TOKEN}" },
        body: '{"t": "${event.type}"}',
        allowSecrets: ["ml/TOKEN", "ml/*", "TOKEN", "secret://default/ml/*"],
        signingSecret: "ml/hook_key",
      },
    ],
    ["hook.update, a body removed", hookInputs.update, { hook: "ml/notify", body: null }],
    ["hook.update, nothing changed", hookInputs.update, { hook: "notify" }],
    ["hook.update, re-enabled", hookInputs.update, { hook: "notify", enabled: true }],
    ["hook.list", hookInputs.list, { owner: "ml", limit: 10 }],
    ["hook.get", hookInputs.ref, { hook: "ml/notify" }],
    ["hook.test", hookInputs.test, { hook: "notify", event: "token.expiring" }],
    [
      "automation.create",
      automationInputs.create,
      {
        name: "on-rotate",
        on: ["rotation.failed", "secret.promoted"],
        match: "secret://default/ml/*",
        hook: "ml/notify",
      },
    ],
    [
      "automation.create, every secret",
      automationInputs.create,
      { name: "all", on: ["token.expiring"], match: "*", hook: "notify" },
    ],
    ["automation.list", automationInputs.list, { hook: "notify" }],
    ["automation.delete", automationInputs.ref, { automation: "ml/on-rotate" }],
    ["deliveries.list", deliveryInputs.list, { hook: "notify", failed: true, cursor: "abc" }],
    ["deliveries.redeliver", deliveryInputs.redeliver, { delivery: "dlv_0123456789abcdef" }],
    ["secret.usedBy", usedByInputs.secret, { secret: "ml/TOKEN" }],
  ] as [string, Validator<unknown>, unknown][])("accepts %s", (_what, validate, input) => {
    expect(validate(input)).toBe(true);
  });

  it.each([
    ["no url", hookInputs.create, { name: "notify" }, "required property 'url'"],
    ["an unknown field", hookInputs.create, { ...hook, secret: "x" }, 'unknown field "secret"'],
    [
      "a header value not a string",
      hookInputs.create,
      { ...hook, headers: { A: 1 } },
      "/headers/A",
    ],
    [
      "33 headers",
      hookInputs.create,
      {
        ...hook,
        headers: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`H${i}`, "v"])),
      },
      "/headers",
    ],
    [
      "a bad allow pattern",
      hookInputs.create,
      { ...hook, allowSecrets: ["ml/*/x"] },
      "/allowSecrets/0",
    ],
    ["an unknown event", hookInputs.test, { hook: "notify", event: "secret.read" }, "/event"],
    ["no events", automationInputs.create, { name: "a", on: [], match: "*", hook: "h" }, "/on"],
    [
      "an event twice",
      automationInputs.create,
      { name: "a", on: ["hook.disabled", "hook.disabled"], match: "*", hook: "h" },
      "/on",
    ],
    [
      "a pattern inside a name",
      automationInputs.create,
      { name: "a", on: ["secret.created"], match: "secret://default/ml/db*", hook: "h" },
      "/match",
    ],
    [
      "a bad delivery id",
      deliveryInputs.redeliver,
      { delivery: "msg_0123456789abcdef" },
      "/delivery",
    ],
  ] as [string, Validator<unknown>, unknown, string][])(
    "refuses %s",
    (_what, validate, input, where) => {
      expect(refusal(validate, input)).toContain(where);
    },
  );

  it("lists the events of SPEC §12, once each", () => {
    expect(new Set(HOOK_EVENT_TYPES).size).toBe(15);
    expect(HOOK_EVENT_TYPES).toContain("token.expiring");
    expect(HOOK_EVENT_TYPES).toContain("secret.deletion_scheduled");
  });
});
