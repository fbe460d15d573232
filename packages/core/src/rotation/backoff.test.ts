import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffCeiling, backoffDelay } from "./backoff.js";

const fixed = (value: number) => () => value;

describe("backoffDelay: exponential with full jitter", () => {
  it.each([
    [1, 0.5, 30_000],
    [2, 0.5, 60_000],
    [3, 0.5, 120_000],
    [4, 0.5, 240_000],
    [4, 0, 0],
    [4, 0.999_999, 479_999],
    [7, 0.5, 1_800_000], // 64 min ceiling, capped at 60
    [1000, 0.25, 900_000], // no overflow past the cap
  ])("attempt %d with jitter %d → %d ms", (attempt, draw, delay) => {
    expect(backoffDelay(attempt, { random: fixed(draw) })).toBe(delay);
  });

  it("takes another base and cap", () => {
    expect(backoffDelay(3, { baseMs: 1000, capMs: 3000, random: fixed(0.5) })).toBe(1500);
    expect(backoffCeiling(2, { baseMs: 1000 })).toBe(2000);
  });

  it("defaults: base 1 minute, cap 1 hour", () => {
    expect(BACKOFF_BASE_MS).toBe(60_000);
    expect(BACKOFF_CAP_MS).toBe(3_600_000);
    expect(backoffCeiling(1)).toBe(60_000);
    expect(backoffCeiling(8)).toBe(3_600_000);
  });

  it("property: a whole number in [0, ceiling) for any draw, ceilings doubling up to the cap", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, draw) => {
          const delay = backoffDelay(attempt, { random: fixed(draw) });
          const ceiling = backoffCeiling(attempt);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
          expect(backoffCeiling(attempt + 1)).toBe(Math.min(BACKOFF_CAP_MS, 2 * ceiling));
        },
      ),
    );
  });

  it("a broken jitter source cannot make a negative delay or one past the ceiling", () => {
    expect(backoffDelay(2, { random: fixed(Number.NaN) })).toBe(0);
    expect(backoffDelay(2, { random: fixed(-3) })).toBe(0);
    expect(backoffDelay(2, { random: fixed(7) })).toBe(120_000);
  });

  it("refuses an attempt that is not a whole number from 1", () => {
    for (const attempt of [0, -1, 1.5, Number.NaN]) {
      expect(() => backoffDelay(attempt)).toThrow(RangeError);
    }
  });
});
