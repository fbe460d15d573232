import type { CofferError } from "@coffer/core";
import { type ResolveOutcome } from "@coffer/core";
import { beforeEach, describe, expect, it } from "vitest";
import { createResolver } from "./resolver.js";
import { down, MemoryBackend, ref, settle } from "./test-backend.js";
import type { GatewayResolver } from "./types.js";

const value = (outcome: ResolveOutcome | undefined): string => {
  if (!outcome?.ok) throw new Error(`expected a value, got ${JSON.stringify(outcome)}`);
  return outcome.value;
};
const error = (outcome: ResolveOutcome | undefined): CofferError => {
  if (outcome?.ok !== false) throw new Error("expected a failure");
  return outcome.error;
};

let t: number;
let mem: MemoryBackend;
let resolver: GatewayResolver;
const A = ref("{vault://mem/a}");
const B = ref("{vault://mem/b}");

const one = async (r = A): Promise<ResolveOutcome> => (await resolver.resolve([r]))[0]!;

beforeEach(() => {
  t = 1_000_000;
  mem = new MemoryBackend("mem", { a: "fake-value-a1", b: "fake-value-b1" });
  resolver = createResolver({ backends: [mem], now: () => t });
});

describe("cache", () => {
  it("fetches a miss once, then serves hits until the ttl ends", async () => {
    expect(value(await one())).toBe("fake-value-a1");
    mem.values.set("a", "fake-value-a2");
    t += 10_000;
    expect(value(await one())).toBe("fake-value-a1");
    expect(mem.fetches).toBe(1);
    t += 51_000; // 61 s: expired, refreshed (awaited)
    expect(value(await one())).toBe("fake-value-a2");
    expect(mem.fetches).toBe(2);
    expect(resolver.stats()).toMatchObject({ hits: 1, misses: 2, refreshes: 1, entries: 1 });
  });

  it("refreshes ahead once 80 % of the ttl has passed, without waiting", async () => {
    await one();
    mem.values.set("a", "fake-value-a2");
    t += 47_000; // 78 %
    await one();
    expect(mem.fetches).toBe(1);
    t += 2_000; // 81 %
    // The old value at once; one refresh in flight, not two.
    const both = await Promise.all([one(), one()]);
    expect(both.map(value)).toEqual(["fake-value-a1", "fake-value-a1"]);
    await settle();
    expect(mem.fetches).toBe(2);
    expect(value(await one())).toBe("fake-value-a2");
    expect(resolver.stats()).toMatchObject({ refreshes: 1, misses: 1 });
  });

  it("remembers a failure for negTtl", async () => {
    expect(error(await one(ref("{vault://mem/missing}"))).errorCode).toBe("NOT_FOUND");
    t += 9_000;
    expect(error(await one(ref("{vault://mem/missing}"))).errorCode).toBe("NOT_FOUND");
    expect(mem.fetches).toBe(1);
    mem.values.set("missing", "fake-value-m1");
    t += 2_000;
    expect(value(await one(ref("{vault://mem/missing}")))).toBe("fake-value-m1");
    expect(mem.fetches).toBe(2);
    expect(resolver.stats().errors).toBe(1);
  });

  it("serves the last good value while the backend is down, then the error", async () => {
    await one();
    mem.down = down;
    t += 61_000; // expired, within resurrectTtl
    expect(value(await one())).toBe("fake-value-a1");
    expect(mem.fetches).toBe(2);
    expect(resolver.stats()).toMatchObject({ stale: 1, errors: 1 });

    t += 500; // within the retry hold: stale at once, no fetch
    expect(value(await one())).toBe("fake-value-a1");
    expect(mem.fetches).toBe(2);

    t += 600; // hold over: one more try
    expect(value(await one())).toBe("fake-value-a1");
    expect(mem.fetches).toBe(3);

    t = 1_000_000 + 60_000 + 300_000 + 1; // past ttl + resurrectTtl
    expect(error(await one()).message).toBe("the backend is down");
    expect(resolver.stats().stale).toBe(3);
  });

  it("after a failed refresh, serves stale at once while the next refresh runs behind", async () => {
    await one();
    mem.down = down;
    t += 61_000;
    await one(); // the first refresh is awaited, fails, stale
    t += 1_100; // hold over
    let release!: () => void;
    mem.gate = new Promise((resolve) => (release = resolve));
    // The backend hangs: the request still gets the old value without waiting for it.
    expect(value(await one())).toBe("fake-value-a1");
    expect(mem.fetches).toBe(3);
    mem.down = undefined;
    mem.values.set("a", "fake-value-a2");
    release();
    await settle();
    expect(value(await one())).toBe("fake-value-a2");
  });

  it("ends a value when the backend answers no (revoked, deleted), rather than serving it", async () => {
    await one();
    mem.values.delete("a");
    t += 61_000;
    expect(error(await one()).errorCode).toBe("NOT_FOUND");
    t += 1_000;
    expect(error(await one()).errorCode).toBe("NOT_FOUND");
    expect(resolver.stats().stale).toBe(0);
  });

  it("retries a failed refresh of a fresh value once the hold is over", async () => {
    await one();
    mem.down = down;
    mem.emit({ action: "refresh", matches: () => true }); // the feed: a rotation
    await settle();
    expect(mem.fetches).toBe(2);
    mem.down = undefined;
    mem.values.set("a", "fake-value-a2");
    t += 1_100;
    expect(value(await one())).toBe("fake-value-a1"); // still fresh; a retry starts behind it
    await settle();
    expect(mem.fetches).toBe(3);
    expect(value(await one())).toBe("fake-value-a2");
  });

  it("never replaces a fresh value with a failed refresh", async () => {
    await one();
    mem.down = down;
    t += 50_000; // refresh ahead, which fails
    await one();
    await settle();
    expect(mem.fetches).toBe(2);
    expect(value(await one())).toBe("fake-value-a1");
    t += 500; // the hold stops another refresh ahead
    await one();
    await settle();
    expect(mem.fetches).toBe(2);
    mem.down = undefined;
    mem.values.set("a", "fake-value-a2");
    t += 600;
    await one();
    await settle();
    expect(value(await one())).toBe("fake-value-a2");
  });

  it("ttl 0: every resolve fetches, concurrent ones share the fetch", async () => {
    const r = createResolver({ backends: [mem], now: () => t, cache: { ttl: 0 } });
    await r.resolve([A]);
    const both = await Promise.all([r.resolve([A]), r.resolve([A])]);
    expect(both.map((o) => value(o[0]))).toEqual(["fake-value-a1", "fake-value-a1"]);
    expect(mem.fetches).toBe(2);
  });

  it("judges freshness with each reference's own settings, sharing one entry", async () => {
    const short = ref("{vault://mem/a?ttl=1&resurrect_ttl=0}");
    expect(value(await one())).toBe("fake-value-a1");
    expect(value(await one(short))).toBe("fake-value-a1");
    expect(mem.fetches).toBe(1); // one entry for both
    mem.values.set("a", "fake-value-a2");
    t += 1_500;
    expect(value(await one())).toBe("fake-value-a1"); // default ttl: fresh
    expect(value(await one(short))).toBe("fake-value-a2"); // ttl=1: expired, refetched
    expect(mem.fetches).toBe(2);

    mem.down = down;
    t += 1_500;
    expect(error(await one(short)).message).toBe("the backend is down"); // resurrect_ttl=0
    expect(value(await one())).toBe("fake-value-a2"); // still fresh for the default
  });

  it("takes neg_ttl from the reference", async () => {
    const missing = ref("{vault://mem/missing?neg_ttl=1}");
    await one(missing);
    t += 1_500;
    await one(missing);
    expect(mem.fetches).toBe(2);
  });

  it("makes one backend call for 200 concurrent resolves of one reference", async () => {
    let open!: () => void;
    mem.gate = new Promise((resolve) => (open = resolve));
    const pending: Promise<readonly ResolveOutcome[]>[] = [];
    for (let i = 0; i < 200; i++) {
      pending.push(resolver.resolve([A]));
      if (i % 50 === 0) await settle(); // some in later ticks, while the fetch is in flight
    }
    open();
    const all = await Promise.all(pending);
    expect(all.every((o) => value(o[0]) === "fake-value-a1")).toBe(true);
    expect(mem.fetches).toBe(1);
    expect(resolver.stats()).toMatchObject({ misses: 200, hits: 0 });
  });

  it("groups the misses of one call, and of one tick, per backend", async () => {
    const other = new MemoryBackend("other", { x: "fake-value-x1" });
    const r = createResolver({ backends: [mem, other], now: () => t });
    const X = ref("{vault://other/x}");
    const C = ref("{vault://mem/c}");
    const [first, second] = await Promise.all([r.resolve([A, B, X]), r.resolve([C, A])]);
    expect(first.map((o) => o.ok)).toEqual([true, true, true]);
    expect(error(second[0]).errorCode).toBe("NOT_FOUND");
    expect(mem.calls).toEqual([["a", "b", "c"]]);
    expect(other.calls).toEqual([["x"]]);
  });

  it("bounds the cache (least recently used go first)", async () => {
    const r = createResolver({ backends: [mem], now: () => t, cache: { max: 2 } });
    await r.resolve([A]);
    await r.resolve([B]);
    await r.resolve([A]);
    await r.resolve([ref("{vault://mem/c}")]); // evicts b
    expect(r.stats().entries).toBe(2);
    await r.resolve([A]);
    expect(mem.fetches).toBe(3);
    await r.resolve([B]);
    expect(mem.fetches).toBe(4);
  });

  it("turns a backend's exception into failures without passing its message on", async () => {
    mem.down = new Error("connect ECONNREFUSED fake-value-in-a-message");
    const outcome = await one();
    expect(error(outcome).message).toBe("the mem backend failed");
    expect(error(outcome).errorCode).toBe("INTERNAL_SERVER_ERROR");
  });

  it("answers an unknown backend with a failure", async () => {
    const outcome = await one(ref("{vault://other/x}"));
    expect(error(outcome).message).toBe('no backend "other" for {vault://other/x}');
  });
});

describe("peekAll", () => {
  it("gives the values when every reference is fresh, else undefined", async () => {
    expect(resolver.peekAll!([A, B])).toBeUndefined();
    await resolver.resolve([A]);
    expect(resolver.peekAll!([A, B])).toBeUndefined();
    await resolver.resolve([B]);
    const into: string[] = [];
    expect(resolver.peekAll!([A, B], into)).toBe(into);
    expect(into).toEqual(["fake-value-a1", "fake-value-b1"]);
    expect(resolver.stats()).toMatchObject({ hits: 2, misses: 2 });
    t += 61_000;
    expect(resolver.peekAll!([A])).toBeUndefined();
  });

  it("starts a refresh ahead", async () => {
    await resolver.resolve([A]);
    mem.values.set("a", "fake-value-a2");
    t += 50_000;
    expect(resolver.peekAll!([A])).toEqual(["fake-value-a1"]);
    await settle();
    expect(resolver.peekAll!([A])).toEqual(["fake-value-a2"]);
  });
});

describe("watch", () => {
  it("starts watching with the first resolve and stops on close", async () => {
    expect(mem.watchers).toBe(0);
    await one();
    expect(mem.watchers).toBe(1);
    await resolver.close();
    expect(mem.watchers).toBe(0);
    expect(mem.closed).toBe(true);
  });

  it("drops the matching entries", async () => {
    await resolver.resolve([A, B]);
    mem.emit({ action: "drop", matches: (r) => r.resource[0] === "a" });
    expect(resolver.stats().entries).toBe(1);
    mem.values.delete("a");
    expect(error(await one()).errorCode).toBe("NOT_FOUND");
    expect(value(await one(B))).toBe("fake-value-b1");
  });

  it("refetches the matching entries in one batch, keeping the old value on failure", async () => {
    await resolver.resolve([A, B, ref("{vault://mem/c}")]);
    mem.values.set("a", "fake-value-a2");
    mem.values.set("b", "fake-value-b2");
    mem.emit({ action: "refresh", matches: (r) => r.resource[0] !== "c" });
    await settle();
    expect(mem.calls.at(-1)?.sort()).toEqual(["a", "b"]);
    expect((await resolver.resolve([A, B])).map(value)).toEqual(["fake-value-a2", "fake-value-b2"]);

    mem.down = down;
    mem.emit({ action: "refresh", matches: () => true });
    await settle();
    expect(value(await one())).toBe("fake-value-a2");
    expect(resolver.stats().refreshes).toBe(4);
  });

  it("refetches again when a change arrives during a fetch", async () => {
    let open!: () => void;
    await one();
    mem.gate = new Promise((resolve) => (open = resolve));
    mem.emit({ action: "refresh", matches: () => true });
    await settle();
    mem.values.set("a", "fake-value-a2"); // changed after the refetch was sent
    mem.emit({ action: "refresh", matches: () => true });
    open();
    await settle();
    await settle();
    expect(mem.fetches).toBe(3);
    expect(value(await one())).toBe("fake-value-a2");
  });
});

describe("options", () => {
  it("refuses two backends with one name, and bad cache settings", () => {
    expect(() => createResolver({ backends: [mem, new MemoryBackend("mem")] })).toThrow(
      'two backends are named "mem"',
    );
    expect(() => createResolver({ backends: [], cache: { ttl: -1 } })).toThrow(
      "cache.ttl must be a number of seconds from 0",
    );
  });

  it("exposes the backends' syntaxes as parse options", () => {
    expect(Object.keys(resolver.parseOptions.backends ?? {})).toEqual(["mem"]);
  });
});
