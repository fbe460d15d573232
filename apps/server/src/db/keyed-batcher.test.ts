import { describe, expect, it } from "vitest";
import { KeyedBatcher } from "./keyed-batcher.js";

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("KeyedBatcher", () => {
  it("groups calls per key, runs each key's first call at once, and keys side by side", async () => {
    const batches: string[] = [];
    let running = 0;
    let overlapped = false;
    const batcher = new KeyedBatcher<string, number, string>(async (key, inputs) => {
      batches.push(`${key}:${inputs.join(",")}`);
      running++;
      if (running > 1) overlapped = true;
      await tick(5);
      running--;
      return inputs.map((n) => `${key}${n}`);
    });
    const results = await Promise.all([
      batcher.call("a", 1),
      batcher.call("b", 1),
      batcher.call("a", 2),
      batcher.call("a", 3),
      batcher.call("b", 2),
    ]);
    expect(results).toEqual(["a1", "b1", "a2", "a3", "b2"]);
    // Each key: its first call alone, the rest together in the next batch.
    expect(batches.filter((b) => b.startsWith("a:"))).toEqual(["a:1", "a:2,3"]);
    expect(batches.filter((b) => b.startsWith("b:"))).toEqual(["b:1", "b:2"]);
    // Two keys' batches ran at the same time: a key does not wait for another.
    expect(overlapped).toBe(true);
  });

  it("fails only the callers of a failed batch, and drops idle keys", async () => {
    const batcher = new KeyedBatcher<string, number, number>(async (key, inputs) => {
      await tick(1);
      if (key === "bad") throw new Error("fake failure");
      return inputs;
    });
    const settled = await Promise.allSettled([
      batcher.call("bad", 1),
      batcher.call("good", 2),
      batcher.call("bad", 3),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["rejected", "fulfilled", "rejected"]);
    expect(batcher.size).toBe(0);
    // A key used again after it went idle starts a fresh queue.
    expect(await batcher.call("good", 4)).toBe(4);
    expect(batcher.size).toBe(0);
  });

  it("holds a key while its calls wait, and bounds the batch size", async () => {
    const sizes: number[] = [];
    const batcher = new KeyedBatcher<string, number, number>(async (_key, inputs) => {
      sizes.push(inputs.length);
      await tick(1);
      return inputs;
    }, 3);
    const all = Promise.all(Array.from({ length: 8 }, (_, i) => batcher.call("k", i)));
    expect(batcher.size).toBe(1);
    expect(await all).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(batcher.size).toBe(0);
  });
});
