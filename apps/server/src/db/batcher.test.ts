import { describe, expect, it } from "vitest";
import { Batcher } from "./batcher.js";

describe("Batcher", () => {
  it("runs a lone call at once, and groups calls that arrive while a batch runs", async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(async (inputs) => {
      batches.push(inputs);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return inputs.map((n) => n * 2);
    });
    expect(await batcher.call(1)).toBe(2);
    const results = await Promise.all([2, 3, 4, 5].map((n) => batcher.call(n)));
    expect(results).toEqual([4, 6, 8, 10]);
    // 1 alone; then 2 starts a batch at once and 3, 4, 5 wait for the next one.
    expect(batches).toEqual([[1], [2], [3, 4, 5]]);
  });

  it("fails every caller of a failed batch, and carries on with the next", async () => {
    let fail = true;
    const batcher = new Batcher<number, number>(async (inputs) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (fail) {
        fail = false;
        throw new Error("fake failure");
      }
      return inputs;
    });
    const settled = await Promise.allSettled([batcher.call(1), batcher.call(2), batcher.call(3)]);
    expect(settled.map((s) => s.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
  });

  it("bounds the batch size", async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>(async (inputs) => {
      sizes.push(inputs.length);
      await Promise.resolve();
      return inputs;
    }, 3);
    await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.call(i)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, b) => a + b)).toBe(8);
  });

  it("with nextTurn, starts a batch on the next turn, so calls of the same turn go together", async () => {
    const batches: number[][] = [];
    const run = async (inputs: number[]) => {
      batches.push(inputs);
      await Promise.resolve();
      return inputs;
    };
    const now = new Batcher(run);
    await Promise.all([now.call(1), now.call(2), now.call(3)]);
    const next = new Batcher(run, 500, true);
    await Promise.all([next.call(4), next.call(5), next.call(6)]);
    // Without it a lone first call runs at once; with it the turn's three calls go together.
    expect(batches).toEqual([[1], [2, 3], [4, 5, 6]]);
  });

  it("with take, cuts a batch where it says, and the rest wait in order for the next", async () => {
    const batches: number[][] = [];
    // A batch stops before a second even number (and take's 0 still takes one).
    const take = (waiting: readonly number[]) => {
      const second = waiting.findIndex(
        (n, i) => n % 2 === 0 && waiting.slice(0, i).some((m) => m % 2 === 0),
      );
      return second === -1 ? waiting.length : second;
    };
    const batcher = new Batcher(
      async (inputs: number[]) => {
        batches.push(inputs);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return inputs;
      },
      4,
      true,
      take,
    );
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 9, 11, 13, 15].map((n) => batcher.call(n)),
    );
    expect(results).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 11, 13, 15]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
      [6, 7, 9, 11],
      [13, 15],
    ]);
  });
});
