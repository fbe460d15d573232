/**
 * Writes of many secrets folded into one transaction (secret-write-batch.ts): creates and puts
 * arriving together share a commit, each keeps its own result, version, audit event and
 * change-feed notice; a write refused fails alone; a transaction that fails is run again write
 * by write; two replicas writing the same secrets in opposite orders never deadlock; and a
 * create and puts of one secret keep their arrival order. On every engine.
 */
import { eventually } from "@coffer/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import type { FeedChange } from "../changes/change-feed.js";
import type { Database } from "../db/database.js";
import { createStores } from "../stores/stores.js";
import { actorFor, ENGINES, META, refusal, serverForSuite } from "../test-support.js";
import { createServices } from "./services.js";
import { batchLength } from "./secret-write-batch.js";
import type { SecretWriter } from "./secret-writer.js";

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("batchLength", () => {
  const put = (name: string) => ({ kind: "put" as const, owner: "admin", name });
  const create = (name: string) => ({ kind: "create" as const, owner: "admin", name });

  it("takes every write unless a secret would be both created and otherwise written", () => {
    expect(batchLength([put("a"), put("b"), put("a"), create("c")])).toBe(4);
    expect(batchLength([put("a"), create("b"), put("a"), create("a")])).toBe(3);
    expect(batchLength([create("a"), put("b"), put("a")])).toBe(2);
    expect(batchLength([create("a"), create("b"), create("a")])).toBe(2);
    expect(batchLength([])).toBe(0);
  });
});

describe.each(ENGINES)("writes of many secrets folded into one transaction on %s", (engine) => {
  let writer: SecretWriter;

  const suite = serverForSuite(engine);

  beforeAll(() => {
    writer = suite.server.services.secretWriter;
  });

  /** Another set of services on `db` (another replica when it is a connection of its own). */
  const writerOn = (db: Database): SecretWriter => {
    const deps = { ...suite.server.deps, db };
    return createServices(deps, createStores(deps)).secretWriter;
  };

  /** A writer whose transactions are counted. */
  const countingWriter = () => {
    const db = suite.server.deps.db;
    const counted = { transactions: 0 };
    const writer = writerOn({
      ...db,
      transaction: (fn) => {
        counted.transactions++;
        return db.transaction(fn);
      },
    });
    return { writer, counted };
  };

  const uriOf = (name: string) => `secret://default/admin/${name}`;
  const events = (action: string, name: string) =>
    suite.server.deps.db.query<{ version: number | null; result: string; code: string | null }>(
      `SELECT (details->>'version')::int AS version, result, details->>'errorCode' AS code
       FROM audit_events WHERE action = $1 AND resource = $2 ORDER BY id`,
      [action, uriOf(name)],
    );
  const versionsOf = async (name: string) =>
    (await suite.server.services.secretReader.versions(suite.admin, { secret: name }))
      .map((v) => v.version)
      .sort((a, b) => a - b);
  const reveal = (name: string, version?: number) =>
    suite.server.services.secretReader.reveal(
      suite.admin,
      META,
      version === undefined ? { secret: name } : { secret: name, version },
    );

  /** Collects the change feed's notices of secrets named with `prefix`. */
  const watchFeed = (prefix: string) => {
    const seen: FeedChange[] = [];
    const controller = new AbortController();
    void (async () => {
      for await (const change of suite.server.deps.changes.subscribe(controller.signal))
        if (change.name.startsWith(prefix)) seen.push(change);
    })();
    return {
      seen,
      /** Waits for `count` notices; when `last`, a moment more for doubles, then stops. */
      async until(count: number, last = true) {
        await eventually(`${count} change notices`, () =>
          seen.length >= count ? true : undefined,
        );
        if (!last) return seen;
        await new Promise((resolve) => setTimeout(resolve, 200));
        controller.abort();
        return seen;
      },
    };
  };

  it("100 puts over 20 secrets and 20 creates at once: each written once, in fewer transactions", async () => {
    const feed = watchFeed("spread-");
    await Promise.all(
      range(0, 20).map((s) =>
        writer.create(suite.admin, META, { secret: `spread-${s}`, value: "fake-s1" }),
      ),
    );
    await feed.until(20, false);
    feed.seen.length = 0;
    const { writer: counting, counted } = countingWriter();
    const calls = range(0, 120).map((i) =>
      i % 6 === 5
        ? counting.create(suite.admin, META, {
            secret: `spread-new-${(i - 5) / 6}`,
            value: `fake-new-${i}`,
          })
        : counting.put(suite.admin, META, { secret: `spread-${i % 20}`, value: `fake-put-${i}` }),
    );
    const results = await Promise.all(calls);
    expect(counted.transactions).toBeLessThan(120);

    const puts = range(0, 120).filter((i) => i % 6 !== 5);
    expect(puts).toHaveLength(100);
    for (const s of range(0, 20)) {
      const mine = puts.filter((i) => i % 20 === s);
      const got = mine.map((i) => (results[i] as { version: number }).version);
      expect([...got].sort((a, b) => a - b)).toEqual(range(2, mine.length));
      for (const [k, i] of mine.entries()) {
        expect(results[i]).toEqual({
          uri: uriOf(`spread-${s}`),
          version: got[k],
          stage: "current",
        });
        expect(await reveal(`spread-${s}`, got[k])).toMatchObject({ value: `fake-put-${i}` });
      }
      expect(await versionsOf(`spread-${s}`)).toEqual(range(1, mine.length + 1));
      const ok = (await events("secret.put", `spread-${s}`)).filter((e) => e.result === "ok");
      expect(ok.map((e) => e.version ?? 0).sort((a, b) => a - b)).toEqual(range(2, mine.length));
    }
    for (const n of range(0, 20)) {
      const i = n * 6 + 5;
      expect(results[i]).toMatchObject({ uri: uriOf(`spread-new-${n}`), currentVersion: 1 });
      expect(await reveal(`spread-new-${n}`)).toMatchObject({ version: 1, value: `fake-new-${i}` });
      expect(await events("secret.create", `spread-new-${n}`)).toEqual([
        { version: 1, result: "ok", code: null },
      ]);
    }
    // One notice per write: each put's version, each new secret's version 1.
    const seen = await feed.until(120);
    const notices = seen.map((c) => `${c.name} ${c.event} ${c.version}`).sort();
    const expected = [
      ...range(0, 20).flatMap((s) =>
        range(2, puts.filter((i) => i % 20 === s).length).map((v) => `spread-${s} put ${v}`),
      ),
      ...range(0, 20).map((n) => `spread-new-${n} put 1`),
    ].sort();
    expect(notices).toEqual(expected);
  });

  it("fails only the writes that fail their own checks, with the errors they get alone", async () => {
    await writer.create(suite.admin, META, { secret: "mx-a", value: "fake-a1" });
    await writer.create(suite.admin, META, { secret: "mx-b", value: "fake-b1" });
    await writer.create(suite.admin, META, { secret: "mx-c", value: "fake-c1" });
    const bob = await suite.server.services.principals.createUser(suite.admin, META, {
      name: "bob-write-batch",
    });
    const stranger = await actorFor(suite.server, bob.token);
    const ref = uriOf("mx-a");
    // Alone first: how each refusal looks today.
    const alone = {
      stale: await refusal(
        writer.put(suite.admin, META, { secret: "mx-b", value: "fake-x", expectedVersion: 9 }),
      ),
      missing: await refusal(writer.put(suite.admin, META, { secret: "mx-none", value: "fake-x" })),
      exists: await refusal(writer.create(suite.admin, META, { secret: "mx-c", value: "fake-x" })),
      denied: await refusal(writer.put(stranger, META, { secret: ref, value: "fake-x" })),
    };
    const outcome = (e: { result: string; code: string | null; version: number | null }) =>
      e.result === "ok" ? `ok ${e.version}` : `${e.result} ${e.code}`;
    const before = {
      a: (await events("secret.put", "mx-a")).map(outcome),
      b: (await events("secret.put", "mx-b")).map(outcome),
    };
    const { writer: counting, counted } = countingWriter();
    // The first write may run at once; the others arrive while it runs and share a batch.
    const settled = await Promise.allSettled([
      counting.put(suite.admin, META, { secret: "mx-a", value: "fake-a2" }),
      counting.put(suite.admin, META, {
        secret: "mx-b",
        value: "fake-b-stale",
        expectedVersion: 9,
      }),
      counting.put(suite.admin, META, { secret: "mx-none", value: "fake-none" }),
      counting.create(suite.admin, META, { secret: "mx-c", value: "fake-c-again" }),
      counting.put(stranger, META, { secret: ref, value: "fake-a-denied" }),
      counting.create(suite.admin, META, { secret: "mx-new", value: "fake-new1" }),
      counting.put(suite.admin, META, { secret: "mx-b", value: "fake-b2", expectedVersion: 1 }),
      counting.put(suite.admin, META, { secret: "mx-a", value: "fake-a3" }),
    ]);
    expect(counted.transactions).toBeLessThanOrEqual(2);
    expect(settled.map((s) => s.status)).toEqual([
      "fulfilled",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    const value = (i: number) => (settled[i] as PromiseFulfilledResult<unknown>).value;
    expect(value(0)).toMatchObject({ version: 2 });
    expect(value(5)).toMatchObject({ uri: uriOf("mx-new"), currentVersion: 1 });
    expect(value(6)).toMatchObject({ version: 2 });
    expect(value(7)).toMatchObject({ version: 3 });
    const reason = (i: number) =>
      (settled[i] as PromiseRejectedResult).reason as typeof alone.stale;
    for (const [i, was] of [
      [1, alone.stale],
      [2, alone.missing],
      [3, alone.exists],
      [4, alone.denied],
    ] as const) {
      expect(reason(i).errorCode).toBe(was.errorCode);
      expect(reason(i).message).toBe(was.message);
    }
    // One event per write, refusals as they are audited alone.
    // mx-a: the stranger's refusal alone, then the batch's two puts and the same refusal.
    expect(before.a).toHaveLength(1);
    const aEvents = (await events("secret.put", "mx-a")).map(outcome);
    expect(aEvents.slice(1).sort()).toEqual(["ok 2", "ok 3", before.a[0]!].sort());
    // mx-b: the stale check-and-set alone, then the batch's stale one and its put.
    expect(before.b).toEqual([`failed ${alone.stale.errorCode}`]);
    const bEvents = (await events("secret.put", "mx-b")).map(outcome);
    expect(bEvents.slice(1).sort()).toEqual(["ok 2", before.b[0]!].sort());
    expect((await events("secret.put", "mx-none")).map(outcome)).toEqual([
      `denied ${alone.missing.errorCode}`,
      `denied ${alone.missing.errorCode}`,
    ]);
    expect((await events("secret.create", "mx-c")).map(outcome)).toEqual([
      "ok 1",
      `failed ${alone.exists.errorCode}`,
      `failed ${alone.exists.errorCode}`,
    ]);
    expect(await versionsOf("mx-a")).toEqual([1, 2, 3]);
    expect(await versionsOf("mx-b")).toEqual([1, 2]);
    expect(await versionsOf("mx-c")).toEqual([1]);
    expect(await reveal("mx-b")).toMatchObject({ version: 2, value: "fake-b2" });
  });

  it("runs each write of a failed transaction again alone: only the bad one fails", async () => {
    const db = suite.server.deps.db;
    for (const name of ["poison-ok-0", "poison-ok-1", "poison-ok-2", "poison"])
      await writer.create(suite.admin, META, { secret: name, value: "fake-p1" });
    // A statement error no check catches: new versions of `poison` are refused by the database.
    await db.exec(`
      CREATE FUNCTION fake_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM secrets WHERE id = NEW.secret_id AND name = 'poison') THEN
          RAISE EXCEPTION 'fake-poison refused';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fake_poison BEFORE INSERT ON secret_versions
        FOR EACH ROW EXECUTE FUNCTION fake_poison();`);
    try {
      const { writer: counting, counted } = countingWriter();
      const settled = await Promise.allSettled([
        counting.put(suite.admin, META, { secret: "poison-ok-0", value: "fake-p2" }),
        counting.put(suite.admin, META, { secret: "poison-ok-1", value: "fake-p2" }),
        counting.put(suite.admin, META, { secret: "poison", value: "fake-p2" }),
        counting.create(suite.admin, META, { secret: "poison-new", value: "fake-p1" }),
        counting.put(suite.admin, META, { secret: "poison-ok-2", value: "fake-p2" }),
      ]);
      expect(settled.map((s) => s.status)).toEqual([
        "fulfilled",
        "fulfilled",
        "rejected",
        "fulfilled",
        "fulfilled",
      ]);
      expect(String((settled[2] as PromiseRejectedResult).reason)).toContain("fake-poison refused");
      // The batch that held the poisoned put failed, and its writes ran again one by one.
      expect(counted.transactions).toBeGreaterThan(5);
    } finally {
      await db.exec("DROP TRIGGER fake_poison ON secret_versions; DROP FUNCTION fake_poison();");
    }
    for (const name of ["poison-ok-0", "poison-ok-1", "poison-ok-2"]) {
      expect(await versionsOf(name)).toEqual([1, 2]);
      expect((await events("secret.put", name)).map((e) => e.result)).toEqual(["ok"]);
    }
    expect(await versionsOf("poison-new")).toEqual([1]);
    expect((await events("secret.create", "poison-new")).map((e) => e.result)).toEqual(["ok"]);
    // Nothing of the bad put was written; its failure is audited.
    expect(await versionsOf("poison")).toEqual([1]);
    expect(await events("secret.put", "poison")).toEqual([
      { version: null, result: "failed", code: "INTERNAL_SERVER_ERROR" },
    ]);
    expect(await reveal("poison")).toMatchObject({ version: 1, value: "fake-p1" });
  });

  it("two replicas writing the same secrets in opposite orders: no deadlock, none lost", async () => {
    const names = range(0, 10).map((s) => `crossed-${s}`);
    await Promise.all(
      names.map((secret) => writer.create(suite.admin, META, { secret, value: "fake-c1" })),
    );
    const other = writerOn(await suite.database.open());
    const rounds = 4;
    const writes = await Promise.all(
      range(0, rounds).flatMap((r) => [
        ...names.map((secret) => writer.put(suite.admin, META, { secret, value: `fake-c-a${r}` })),
        ...[...names]
          .reverse()
          .map((secret) => other.put(suite.admin, META, { secret, value: `fake-c-b${r}` })),
      ]),
    );
    expect(writes).toHaveLength(rounds * 20);
    for (const secret of names) {
      const mine = writes.filter((w) => w.uri === uriOf(secret)).map((w) => w.version);
      expect(mine.sort((a, b) => a - b)).toEqual(range(2, rounds * 2));
      expect(await versionsOf(secret)).toEqual(range(1, rounds * 2 + 1));
      const ok = (await events("secret.put", secret)).filter((e) => e.result === "ok");
      expect(ok).toHaveLength(rounds * 2);
    }
  });

  it("keeps arrival order between a create and the puts of its secret", async () => {
    const settled = await Promise.allSettled([
      writer.put(suite.admin, META, { secret: "ordered", value: "fake-o0" }),
      writer.create(suite.admin, META, { secret: "ordered", value: "fake-o1" }),
      writer.put(suite.admin, META, { secret: "ordered", value: "fake-o2" }),
      writer.create(suite.admin, META, { secret: "ordered", value: "fake-o-again" }),
      writer.put(suite.admin, META, { secret: "ordered", value: "fake-o3", expectedVersion: 2 }),
    ]);
    expect(settled.map((s) => s.status)).toEqual([
      "rejected",
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    const reason = (i: number) =>
      (settled[i] as PromiseRejectedResult).reason as { errorCode: string };
    expect(reason(0).errorCode).toBe("NOT_FOUND");
    expect(reason(3).errorCode).toBe("INVALID_STATUS");
    expect((settled[2] as PromiseFulfilledResult<unknown>).value).toMatchObject({ version: 2 });
    expect((settled[4] as PromiseFulfilledResult<unknown>).value).toMatchObject({ version: 3 });
    expect(await reveal("ordered", 1)).toMatchObject({ value: "fake-o1" });
    expect(await reveal("ordered")).toMatchObject({ version: 3, value: "fake-o3" });
  });
});
