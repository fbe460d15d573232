import { describe, expect, it } from "vitest";
import { closestName, editDistance } from "./did-you-mean.js";

describe("did you mean", () => {
  it("measures edits, ignoring case", () => {
    expect(editDistance("headrs", "headers")).toBe(1);
    expect(editDistance("TTL", "ttl")).toBe(0);
    expect(editDistance("cahce", "cache")).toBe(2);
  });

  it("suggests a name within two edits, and nothing for a stranger", () => {
    const known = ["headers", "query", "body", "cache", "ttl"];
    expect(closestName("headrs", known)).toBe("headers");
    expect(closestName("cahce", known)).toBe("cache");
    expect(closestName("TTL", known)).toBe("ttl");
    expect(closestName("zzz", known)).toBeUndefined();
    expect(closestName("x", known)).toBeUndefined();
  });
});
