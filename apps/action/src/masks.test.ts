import { describe, expect, it } from "vitest";
import { masksFor, MIN_MASK_LENGTH } from "./masks.js";

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

describe("masksFor", () => {
  it("masks a value and its base64 form", () => {
    expect(masksFor("fake-token-0001")).toEqual([b64("fake-token-0001"), "fake-token-0001"]);
  });

  it("masks each line of a multi-line value, trimmed too, and never a short line", () => {
    const value = "-----BEGIN FAKE KEY-----\r\n  fakeline0001\r\nab\n-----END FAKE KEY-----";
    const masks = masksFor(value);
    for (const piece of [
      value,
      "-----BEGIN FAKE KEY-----",
      "  fakeline0001",
      "fakeline0001",
      "-----END FAKE KEY-----",
    ]) {
      expect(masks).toContain(piece);
      expect(masks).toContain(b64(piece));
    }
    expect(masks).not.toContain("ab");
    expect(masks.every((m) => m.length >= MIN_MASK_LENGTH)).toBe(true);
  });

  it("masks a single-line value with spaces around it whole and trimmed", () => {
    const masks = masksFor(" fake-token-0002 \t");
    for (const piece of [" fake-token-0002 \t", "fake-token-0002"]) {
      expect(masks).toContain(piece);
      expect(masks).toContain(b64(piece));
    }
    expect(masks).toHaveLength(4);
  });

  it("masks each line of a value split by lone carriage returns", () => {
    const value = "fake-cr-line-0001\rfake-cr-line-0002\r  fake-cr-line-0003";
    const masks = masksFor(value);
    for (const piece of ["fake-cr-line-0001", "fake-cr-line-0002", "fake-cr-line-0003"]) {
      expect(masks).toContain(piece);
      expect(masks).toContain(b64(piece));
    }
  });

  it("masks each number leaf of 4+ characters, as written and as String(n)", () => {
    const value = '{"pin": 48213, "n": [-7012, 42, 1e5, 2.50], "s": "x 9999 y", "big": 1e999}';
    const masks = masksFor(value);
    for (const piece of ["48213", "-7012", "7012", "100000", "2.50", "1e999"]) {
      expect(masks).toContain(piece);
      expect(masks).toContain(b64(piece));
    }
    // Short, only inside a string, or not a number JavaScript prints.
    for (const piece of ["42", "1e5", "2.5", "9999", "Infinity"]) {
      expect(masks).not.toContain(piece);
    }
  });

  it("masks each string leaf of a JSON value, and the lines of a leaf", () => {
    const value = JSON.stringify({
      type: "service_account",
      private_key: "-----BEGIN FAKE-----\nfakekeybody0001\n-----END FAKE-----\n",
      nested: [{ token: "fake-nested-0001" }, 42, true, "no"],
    });
    const masks = masksFor(value);
    for (const piece of ["service_account", "fakekeybody0001", "fake-nested-0001"]) {
      expect(masks).toContain(piece);
      expect(masks).toContain(b64(piece));
    }
    expect(masks).not.toContain("no");
    expect(masks).not.toContain("42");
  });

  it("registers nothing for a value shorter than 4 characters", () => {
    expect(masksFor("abc")).toEqual([]);
    expect(masksFor("")).toEqual([]);
  });

  it("puts longer masks first, each once", () => {
    const masks = masksFor("fake-same-0001\nfake-same-0001");
    expect(new Set(masks).size).toBe(masks.length);
    expect([...masks].sort((a, b) => b.length - a.length)).toEqual(masks);
  });

  it("leaves text that only looks like JSON as one value", () => {
    expect(masksFor("{not json but secret}")).toEqual([
      b64("{not json but secret}"),
      "{not json but secret}",
    ]);
  });
});
