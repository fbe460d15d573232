import { describe, expect, it } from "vitest";
import { retryAfterMs } from "./retry-after.js";

const now = new Date("2026-12-06T03:00:00Z");

describe("retryAfterMs", () => {
  it("reads delay-seconds", () => {
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs(" 0 ", now)).toBe(0);
  });

  it("reads the three HTTP date forms as GMT", () => {
    expect(retryAfterMs("Sun, 06 Dec 2026 03:01:30 GMT", now)).toBe(90_000);
    expect(retryAfterMs("Sunday, 06-Dec-26 03:01:30 GMT", now)).toBe(90_000);
    expect(retryAfterMs("Sun Dec  6 03:01:30 2026", now)).toBe(90_000);
  });

  it("takes a date already past as no wait", () => {
    expect(retryAfterMs("Sat, 05 Dec 2026 03:00:00 GMT", now)).toBe(0);
  });

  it.each([undefined, "", "soon", "-5", "1.5", "12345678901", "Sun, 99 Foo 2026 GMT"])(
    "ignores %j",
    (value) => {
      expect(retryAfterMs(value, now)).toBeUndefined();
    },
  );
});
