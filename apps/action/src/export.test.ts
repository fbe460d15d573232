import { describe, expect, it } from "vitest";
import { describeSummary, registerMasks } from "./export.js";
import { captureStdout } from "./test-stdout.js";

const stdout = captureStdout();

describe("registerMasks", () => {
  it("registers the masks of every value once each, longest first", () => {
    registerMasks(["fake-one-0001", "fake-one-0001\nfake-two-0002", "abc"]);
    const masks = stdout.map((line) => line.replace(/^::add-mask::/, "").trimEnd());
    expect(masks).toContain("fake-one-0001%0Afake-two-0002");
    expect(masks.filter((m) => m === "fake-one-0001")).toHaveLength(1);
    expect(masks).not.toContain("abc");
    expect(masks.map((m) => m.length)).toEqual(masks.map((m) => m.length).sort((a, b) => b - a));
  });
});

describe("describeSummary", () => {
  it("counts and names targets, never values", () => {
    expect(describeSummary({ variables: ["A", "B"], outputs: [], files: ["/tmp/x"] })).toBe(
      "2 environment variables (A, B), 0 outputs, 1 file (/tmp/x)",
    );
  });
});
