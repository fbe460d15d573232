import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.js";
import { collectPages, parseLimit, type Page } from "./pages.js";

/** A listing of `total` numbers served in pages of at most `size`, recording each ask. */
function pager(total: number, size: number) {
  const asks: { limit: number; cursor?: string }[] = [];
  const fetch = (ask: { limit: number; cursor?: string }): Promise<Page<number>> => {
    asks.push(ask);
    const from = ask.cursor === undefined ? 0 : Number(ask.cursor.slice(1));
    const to = Math.min(total, from + Math.min(size, ask.limit));
    const items = Array.from({ length: to - from }, (_, i) => from + i);
    return Promise.resolve({ items, nextCursor: to < total ? `c${to}` : null });
  };
  return { asks, fetch };
}

describe("collectPages", () => {
  it("follows nextCursor to the end", async () => {
    const { asks, fetch } = pager(7, 3);
    expect(await collectPages(fetch)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(asks).toEqual([
      { limit: 500 },
      { limit: 500, cursor: "c3" },
      { limit: 500, cursor: "c6" },
    ]);
  });

  it("stops at --limit, asking only for what is still wanted", async () => {
    const { asks, fetch } = pager(10, 3);
    expect(await collectPages(fetch, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(asks).toEqual([{ limit: 5 }, { limit: 2, cursor: "c3" }]);
  });

  it("returns an empty listing after one ask", async () => {
    const { asks, fetch } = pager(0, 3);
    expect(await collectPages(fetch)).toEqual([]);
    expect(asks).toHaveLength(1);
  });
});

describe("parseLimit", () => {
  it("takes whole numbers from 1 to 100000 and nothing else", () => {
    expect(parseLimit(undefined)).toBeUndefined();
    expect(parseLimit("1")).toBe(1);
    expect(parseLimit("100000")).toBe(100_000);
    for (const bad of ["0", "-1", "1.5", "ten", "", "100001", "07"])
      expect(() => parseLimit(bad), bad).toThrow(UsageError);
    expect(() => parseLimit("0")).toThrow("--limit takes a whole number from 1 to 100000");
  });
});
