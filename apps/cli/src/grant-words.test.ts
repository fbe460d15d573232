import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.js";
import { grantLevel } from "./grant-words.js";

describe("grantLevel: `share RESOURCE SUBJECT [LEVEL]` and --perm", () => {
  it.each([
    [undefined, undefined, "read"],
    ["read", undefined, "read"],
    ["write", undefined, "write"],
    ["manage", undefined, "manage"],
    ["list", undefined, "list"],
    [undefined, "write", "write"],
    ["manage", "manage", "manage"],
  ] as const)("word %s, --perm %s: %s", (word, perm, level) => {
    expect(grantLevel(word, perm)).toBe(level);
  });

  it.each([
    ["admin", undefined, 'the level is list, read, write or manage, not "admin"'],
    [undefined, "owner", "--perm is list, read, write or manage"],
    ["read", "write", 'give the level once: "read" or --perm write'],
  ] as const)("refuses word %s, --perm %s", (word, perm, message) => {
    const call = () => grantLevel(word, perm);
    expect(call).toThrow(UsageError);
    expect(call).toThrow(message);
  });
});
