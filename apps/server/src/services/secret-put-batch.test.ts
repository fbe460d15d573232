/**
 * Puts to one secret folded into one transaction (SecretWriter.put): concurrent puts still
 * get consecutive versions, none lost, each audited with its own version; a put refused in a
 * batch fails alone, as it would alone; two replicas still serialise on the secret's row; and
 * pruning keeps max_versions plus the versions a stage holds. On every engine.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createStores } from "../stores/stores.js";
import { actorFor, ENGINES, META, refusal, serverForSuite } from "../test-support.js";
import { createServices } from "./services.js";
import type { SecretWriter } from "./secret-writer.js";

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe.each(ENGINES)("puts folded per secret on %s", (engine) => {
  let writer: SecretWriter;

  const suite = serverForSuite(engine);

  beforeAll(() => {
    writer = suite.server.services.secretWriter;
  });

  const putEvents = (name: string) =>
    suite.server.deps.db.query<{ version: number; result: string; code: string | null }>(
      `SELECT (details->>'version')::int AS version, result, details->>'errorCode' AS code
       FROM audit_events WHERE action = 'secret.put' AND resource = $1 ORDER BY id`,
      [`secret://default/admin/${name}`],
    );
  const versionsOf = async (name: string) =>
    (await suite.server.services.secretReader.versions(suite.admin, { secret: name })).map(
      (v) => v.version,
    );

  it("100 concurrent puts give 100 consecutive versions, each audited, the last revealed", async () => {
    await writer.create(suite.admin, META, { secret: "hundred", value: "fake-h1" });
    const writes = await Promise.all(
      range(0, 100).map((i) =>
        writer.put(suite.admin, META, { secret: "hundred", value: `fake-h-${i}` }),
      ),
    );
    const versions = writes.map((w) => w.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(range(2, 100));
    for (const w of writes) {
      expect(w).toEqual({
        uri: "secret://default/admin/hundred",
        version: w.version,
        stage: "current",
      });
    }
    const events = await putEvents("hundred");
    expect(events.filter((e) => e.result === "ok").map((e) => e.version)).toEqual(range(2, 100));
    expect(events).toHaveLength(100);
    // The reveal gives the value of the put that got the last version.
    const last = versions.indexOf(101);
    const revealed = await suite.server.services.secretReader.reveal(suite.admin, META, {
      secret: "hundred",
    });
    expect(revealed).toMatchObject({ version: 101, value: `fake-h-${last}` });
  });

  it("fails only the puts that fail their own checks, with the errors they get alone", async () => {
    await writer.create(suite.admin, META, { secret: "mixed", value: "fake-m1" });
    const bob = await suite.server.services.principals.createUser(suite.admin, META, {
      name: "bob-batch",
    });
    const stranger = await actorFor(suite.server, bob.token);
    const ref = "secret://default/admin/mixed";
    // Alone, first: how a stranger's put and a stale check-and-set are refused today.
    const alone = await refusal(writer.put(stranger, META, { secret: ref, value: "fake-x" }));
    const staleAlone = await refusal(
      writer.put(suite.admin, META, { secret: "mixed", value: "fake-x", expectedVersion: 7 }),
    );
    const before = await putEvents("mixed");
    // The first put runs at once; the next four arrive while it runs and share a batch.
    const settled = await Promise.allSettled([
      writer.put(suite.admin, META, { secret: "mixed", value: "fake-m2" }),
      writer.put(suite.admin, META, { secret: "mixed", value: "fake-m3", expectedVersion: 2 }),
      writer.put(suite.admin, META, { secret: "mixed", value: "fake-m-stale", expectedVersion: 1 }),
      writer.put(stranger, META, { secret: ref, value: "fake-m-denied" }),
      writer.put(suite.admin, META, { secret: "mixed", value: "fake-m4", stage: "pending" }),
    ]);
    expect(settled.map((s) => s.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "rejected",
      "fulfilled",
    ]);
    const value = (i: number) => (settled[i] as PromiseFulfilledResult<{ version: number }>).value;
    expect([value(0).version, value(1).version, value(4).version]).toEqual([2, 3, 4]);
    expect(value(4)).toMatchObject({ version: 4, stage: "pending" });
    const reason = (i: number) => (settled[i] as PromiseRejectedResult).reason as typeof alone;
    expect(reason(2).errorCode).toBe(staleAlone.errorCode);
    expect(reason(2).message).toBe("check-and-set failed: the current version is 3, not 1");
    expect(reason(3).errorCode).toBe(alone.errorCode);
    expect(reason(3).message).toBe(alone.message);
    // One event per put: ok with its version, or the refusal as it is audited alone.
    const events = (await putEvents("mixed")).slice(before.length);
    expect(events.filter((e) => e.result === "ok").map((e) => e.version)).toEqual([2, 3, 4]);
    const refused = events.filter((e) => e.result !== "ok");
    expect(refused.map((e) => `${e.result} ${e.code}`).sort()).toEqual(
      [before[0]!, before[1]!].map((e) => `${e.result} ${e.code}`).sort(),
    );
    const meta = await suite.server.services.secretReader.describe(suite.admin, {
      secret: "mixed",
    });
    expect(meta).toMatchObject({ currentVersion: 3 });
    expect(await versionsOf("mixed")).toEqual([4, 3, 2, 1]);
  });

  it("two replicas putting to one secret at once give consecutive versions, none lost", async () => {
    const otherDeps = { ...suite.server.deps, db: await suite.database.open() };
    const other = createServices(otherDeps, createStores(otherDeps)).secretWriter;
    await writer.create(suite.admin, META, { secret: "replicas", value: "fake-r1" });
    const writes = await Promise.all(
      range(0, 60).map((i) =>
        (i % 2 ? other : writer).put(suite.admin, META, {
          secret: "replicas",
          value: `fake-r-${i}`,
        }),
      ),
    );
    expect(writes.map((w) => w.version).sort((a, b) => a - b)).toEqual(range(2, 60));
    const events = await putEvents("replicas");
    expect(events.map((e) => e.version).sort((a, b) => a - b)).toEqual(range(2, 60));
    const last = writes.findIndex((w) => w.version === 61);
    const revealed = await suite.server.services.secretReader.reveal(suite.admin, META, {
      secret: "replicas",
    });
    expect(revealed).toMatchObject({ version: 61, value: `fake-r-${last}` });
  });

  it("prunes to max_versions after a batch, keeping the versions stages hold", async () => {
    await writer.create(suite.admin, META, { secret: "pruned", value: "fake-p1" });
    await writer.put(suite.admin, META, { secret: "pruned", value: "fake-p2", stage: "pending" });
    // 30 at once: most go in batches longer than max_versions (10).
    await Promise.all(
      range(3, 30).map((v) =>
        writer.put(suite.admin, META, { secret: "pruned", value: `fake-p${v}` }),
      ),
    );
    // Current 32, previous 31 and the last 10 stay; so does pending 2.
    expect(await versionsOf("pruned")).toEqual([...range(23, 10).reverse(), 2]);
    const pending = await suite.server.services.secretReader.reveal(suite.admin, META, {
      secret: "pruned",
      stage: "pending",
    });
    expect(pending).toMatchObject({ version: 2, value: "fake-p2" });
  });
});
