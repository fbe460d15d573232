import type { HookView } from "@coffer/core";
import { describe, expect, it } from "vitest";
import {
  createInput,
  formFields,
  headersText,
  parseHeaders,
  splitItems,
  updateInput,
} from "./templates.js";

const hook: HookView = {
  ref: "ml/notify",
  owner: "ml",
  name: "notify",
  description: "",
  url: "https://hooks.example.com/models/${event.type}",
  headers: { Authorization: "Bearer ${ml/TOKEN}" },
  body: '{"text": "${event.type}"}',
  allowSecrets: ["secret://default/ml/*"],
  secrets: ["${ml/TOKEN}"],
  signingSecret: "ml/notify_hook_signing_key",
  enabled: true,
  disabledReason: null,
  disabledAt: null,
  createdAt: "2026-12-06T00:00:00.000Z",
  createdBy: "user:admin",
  updatedAt: "2026-12-06T00:00:00.000Z",
  updatedBy: "user:admin",
};

describe("parseHeaders", () => {
  it("reads Name: value lines, skipping blank ones, keeping colons in values", () => {
    expect(parseHeaders("Authorization: Bearer ${ml/TOKEN}\n\nX-Url: http://a:1")).toEqual({
      headers: { Authorization: "Bearer ${ml/TOKEN}", "X-Url": "http://a:1" },
      error: null,
    });
  });
  it("names the first line that is not a header", () => {
    expect(parseHeaders("A: 1\nno colon here")).toEqual({
      headers: null,
      error: 'Line 2 is not "Name: value".',
    });
    expect(parseHeaders("Bad Name: 1").error).toBe('Line 1 is not "Name: value".');
    expect(parseHeaders("A: 1\nA: 2").error).toBe("Header A is there twice.");
  });
  it("round-trips with headersText", () => {
    expect(parseHeaders(headersText(hook.headers)).headers).toEqual(hook.headers);
  });
});

describe("splitItems", () => {
  it("splits on commas and lines, drops blanks and repeats", () => {
    expect(splitItems("ml/*, ml/a\n\nml/a ,")).toEqual(["ml/*", "ml/a"]);
  });
});

describe("createInput", () => {
  it("leaves out the optional fields left empty", () => {
    const f = { ...formFields(undefined), url: " https://hooks.example.com/x " };
    expect(createInput("ml", "notify", f, {})).toEqual({
      owner: "ml",
      name: "notify",
      url: "https://hooks.example.com/x",
    });
  });
});

describe("updateInput", () => {
  it("sends only the hook when nothing changed", () => {
    expect(updateInput(hook, formFields(hook), hook.headers)).toEqual({ hook: "ml/notify" });
  });
  it("sends what changed, and null for a body removed", () => {
    const f = { ...formFields(hook), description: "Model news", body: "  " };
    expect(updateInput(hook, f, hook.headers)).toEqual({
      hook: "ml/notify",
      description: "Model news",
      body: null,
    });
  });
  it("leaves the allowed secrets out after a host change unless listed again", () => {
    const moved = { ...formFields(hook), url: "https://other.example.com/x", allowSecrets: "" };
    expect(updateInput(hook, moved, hook.headers)).toEqual({
      hook: "ml/notify",
      url: "https://other.example.com/x",
    });
    const listed = { ...moved, allowSecrets: "secret://default/ml/*" };
    expect(updateInput(hook, listed, hook.headers).allowSecrets).toEqual(["secret://default/ml/*"]);
  });
  it("sends an emptied list on the same host", () => {
    const f = { ...formFields(hook), url: `${hook.url}?v=1`, allowSecrets: "" };
    expect(updateInput(hook, f, hook.headers)).toEqual({
      hook: "ml/notify",
      url: `${hook.url}?v=1`,
      allowSecrets: [],
    });
  });
});
