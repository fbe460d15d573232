/**
 * The change feed on PGlite and, when COFFER_TEST_DATABASE_URL is set, on PostgreSQL: every
 * kind of change is announced once committed (never a value, never a rolled-back change), and
 * on PostgreSQL a second replica hears it, also after its listening connection was cut.
 */
import type { SecretChange } from "@coffer/core";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { ENGINES, META, serverForSuite } from "../test-support.js";
import { ChangeFeed, channelFor, type FeedChange } from "./change-feed.js";

const CANARY = "fake-feed-canary-0b7d21";

/** Collects what a feed yields until stopped. */
function collect(feed: ChangeFeed) {
  const seen: FeedChange[] = [];
  const controller = new AbortController();
  let ended = false;
  const done = (async () => {
    for await (const change of feed.subscribe(controller.signal)) seen.push(change);
    ended = true;
  })();
  return {
    seen,
    get ended() {
      return ended;
    },
    async until(count: number, timeoutMs = 5000): Promise<FeedChange[]> {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return seen;
    },
    async stop() {
      controller.abort();
      await done;
    },
  };
}

const brief = (c: SecretChange) => `${c.event} ${c.uri} ${c.version}`;

describe.each(ENGINES)("change feed on %s", (engine) => {
  const suite = serverForSuite(engine);

  it("announces every change that alters what a reader gets, once committed", async () => {
    const feed = collect(suite.server.deps.changes);
    const w = suite.server.services.secretWriter;
    const secret = "admin/feed_key";
    await w.create(suite.admin, META, { secret, value: CANARY });
    await w.put(suite.admin, META, { secret, value: `${CANARY}-2` });
    // A failed check-and-set rolls back: nothing is announced for it.
    await expect(
      w.put(suite.admin, META, { secret, value: `${CANARY}-3`, expectedVersion: 1 }),
    ).rejects.toThrow(/check-and-set/);
    await w.rollback(suite.admin, META, { secret });
    await w.moveStage(suite.admin, META, { secret, version: 2, stage: "current" });
    await w.setEnabled(suite.admin, META, { secret }, false);
    await w.setEnabled(suite.admin, META, { secret }, true);
    await w.setDescription(suite.admin, META, { secret, description: "no news for readers" });
    await w.delete(suite.admin, META, { secret });
    await w.restore(suite.admin, META, { secret });
    await w.delete(suite.admin, META, { secret, force: true });
    const uri = "secret://default/admin/feed_key";
    const seen = await feed.until(9);
    await new Promise((resolve) => setTimeout(resolve, 100)); // nothing more comes
    await feed.stop();
    expect(seen.map(brief)).toEqual([
      `put ${uri} 1`,
      `put ${uri} 2`,
      `stage ${uri} 1`,
      `stage ${uri} 2`,
      `disable ${uri} 2`,
      `enable ${uri} 2`,
      `delete ${uri} 2`,
      `restore ${uri} 2`,
      `delete ${uri} null`,
    ]);
    expect(seen[0]).toMatchObject({ owner: "admin", ownerKind: "user", name: "feed_key" });
    expect(JSON.stringify(seen)).not.toContain(CANARY);
  });

  it("ends the stream of a subscriber that falls too far behind", async () => {
    const feed = new ChangeFeed(suite.server.deps.db, createLogger({ logLevel: "silent" }), 2);
    await feed.start();
    const controller = new AbortController();
    const stream = feed.subscribe(controller.signal);
    const first = stream.next(); // subscribed; then reads nothing while changes pile up
    const w = suite.server.services.secretWriter;
    await w.create(suite.admin, META, { secret: "admin/slow_reader", value: CANARY });
    expect((await first).value).toMatchObject({ event: "put", version: 1 });
    for (let v = 2; v <= 5; v++) {
      await w.put(suite.admin, META, { secret: "admin/slow_reader", value: `${CANARY}-${v}` });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const rest: FeedChange[] = [];
    for await (const change of stream) rest.push(change);
    expect(rest.length).toBeLessThan(4); // it ended instead of queueing everything
    await feed.close();
  });

  it("keeps test schemas and deployments apart by channel", () => {
    expect(channelFor("public")).toBe("coffer_changes");
    expect(channelFor("t_0a1b")).toBe("coffer_changes_t_0a1b");
    expect(channelFor("Weird-Schema")).toBe("coffer_changes_weird_schema");
  });

  it.runIf(engine === "postgres")(
    "reaches a second replica; after a cut in its listening connection, streams start again",
    async () => {
      const other = new ChangeFeed(
        await suite.database.open(),
        createLogger({ logLevel: "silent" }),
      );
      await other.start();
      const feed = collect(other);
      const w = suite.server.services.secretWriter;
      await w.create(suite.admin, META, { secret: "admin/replicated", value: CANARY });
      expect((await feed.until(1)).map(brief)).toEqual(["put secret://default/admin/replicated 1"]);
      // Cut the second replica's LISTEN connection: changes made until it is back are missed,
      // so its open streams end (their clients reconnect and refetch); it comes back by itself.
      const [cut] = await suite.database.db.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE query = $1 AND pid <> pg_backend_pid()`,
        [`LISTEN ${other.channel}`],
      );
      expect(cut!.n).toBeGreaterThanOrEqual(1);
      const deadline = Date.now() + 5000;
      while (!feed.ended && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(feed.ended).toBe(true);
      const again = collect(other);
      await w.put(suite.admin, META, { secret: "admin/replicated", value: `${CANARY}-2` });
      expect((await again.until(1)).map(brief)).toEqual([
        "put secret://default/admin/replicated 2",
      ]);
      await again.stop();
      await other.close();
    },
    20_000,
  );
});
