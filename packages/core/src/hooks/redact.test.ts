import { describe, expect, it } from "vitest";
import { MIN_REDACTED_LENGTH, REDACTED, redact, redactHead } from "./redact.js";

describe("redact", () => {
  // [what, text, values, expected]
  const cases: [string, string, string[], string][] = [
    ["every occurrence", "a fake-tok b fake-tok", ["fake-tok"], "a [REDACTED] b [REDACTED]"],
    [
      "the longer of two overlapping values whole",
      "x fake-token-long y",
      ["fake", "fake-token-long"],
      "x [REDACTED] y",
    ],
    [
      "a value inside another, alone",
      "fake and fake-token-long",
      ["fake-token-long", "fake"],
      "[REDACTED] and [REDACTED]",
    ],
    [
      "its JSON-escaped form (a body echoed back)",
      '{"echo":"fa\\"ke\\\\v"}',
      ['fa"ke\\v'],
      '{"echo":"[REDACTED]"}',
    ],
    [
      "its percent-encoded form (a URL echoed back)",
      "GET /x?k=fake%20v%2F1",
      ["fake v/1"],
      "GET /x?k=[REDACTED]",
    ],
    [
      "each line of a multi-line value",
      "line: fake-line-two!",
      ["fake-line-one\nfake-line-two"],
      "line: [REDACTED]!",
    ],
    [
      "values that look like patterns, literally",
      "a.b* (fake) a-b",
      ["a.b*", "(fake)"],
      "[REDACTED] [REDACTED] a-b",
    ],
    [
      `nothing shorter than ${MIN_REDACTED_LENGTH} characters`,
      "abc abcd",
      ["abc", "", "abcd"],
      "abc [REDACTED]",
    ],
    ["nothing when no value is given", "fake-tok", [], "fake-tok"],
    ["never the marker it wrote", "fake-REDA", ["fake-REDA", "REDACTED]"], "[REDACTED]"],
  ];
  it.each(cases)("replaces %s", (_what, text, values, expected) => {
    expect(redact(text, values)).toBe(expected);
  });
});

describe("redactHead", () => {
  const value = "fake-secret-value-0042";
  it("redacts the start of a value left at the end of a cut text", () => {
    const text = `ok ${value} then ${value.slice(0, 9)}`;
    expect(redactHead(text, [value], true)).toBe("ok [REDACTED] then [REDACTED]");
  });
  it("leaves the end alone when the text was not cut, and short overlaps always", () => {
    const text = `then ${value.slice(0, 9)}`;
    expect(redactHead(text, [value], false)).toBe(text);
    expect(redactHead("x fa", [value], true)).toBe("x fa");
  });
});

describe("redact, as other JSON encoders write a value", () => {
  const value = "fake-pässwörd/with-slash-😀";
  it.each([
    ["Python's ensure_ascii", '{"v": "fake-p\\u00e4ssw\\u00f6rd/with-slash-\\ud83d\\ude00"}'],
    ["upper-case hex", '{"v": "fake-p\\u00E4ssw\\u00F6rd/with-slash-\\uD83D\\uDE00"}'],
    ["PHP's json_encode", '{"v":"fake-p\\u00e4ssw\\u00f6rd\\/with-slash-\\ud83d\\ude00"}'],
    ["JavaScript with escaped slashes", '{"v":"fake-pässwörd\\/with-slash-😀"}'],
  ])("redacts %s", (_, echoed) => {
    expect(redact(echoed, [value])).not.toContain("fake-p");
    expect(redact(echoed, [value])).toContain(REDACTED);
  });
});
