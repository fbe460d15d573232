/**
 * The storage suite: runs on PGlite, and on the PostgreSQL server when
 * COFFER_TEST_DATABASE_URL is set. Values here are fake canaries.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations, migrate } from "./db/migrate.js";
import { createLogger } from "./logger.js";
import {
  actorFor,
  ENGINES,
  callerAs,
  META,
  refusal,
  startTestServer,
  testDatabase,
  type TestServer,
} from "./test-support.js";
import type { Actor } from "./auth/actor.js";

const CANARY = "fake-canary-value-4f1d9a";
const CANARY_2 = "fake-canary-rotated-7c2e0b";
const CANARY_3 = "fake-canary-other-secret-93aa1";

describe.each(ENGINES)("storage on %s", (engine) => {
  let server: TestServer;
  let admin: Actor;
  const logLines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString("utf8"));
        done();
      },
    });
    server = await startTestServer(engine, { log: createLogger({ logLevel: "trace" }, sink) });
    admin = await actorFor(server, server.adminToken);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("applies each migration once, also when two replicas migrate at once", async () => {
    expect(await migrate(server.deps.db)).toEqual([]);
    const fresh = await testDatabase(engine, { empty: true });
    try {
      const [a, b] = [fresh.db, await fresh.open()];
      const applied = await Promise.all([migrate(a), migrate(b)]);
      const all = (await loadMigrations()).map((m) => m.version);
      expect(all.length).toBeGreaterThan(1);
      expect(applied.flat().sort((x, y) => x - y)).toEqual(all);
      const rows = await a.query<{ n: number }>("SELECT count(*)::int AS n FROM schema_migrations");
      expect(rows[0]!.n).toBe(all.length);
    } finally {
      await fresh.drop();
    }
  });

  it("50 parallel writes to one secret give 50 consecutive versions, none lost", async () => {
    await server.services.secretWriter.create(admin, META, {
      secret: "concurrent",
      value: "fake-v1",
    });
    const writes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        server.services.secretWriter.put(admin, META, {
          secret: "concurrent",
          value: `fake-v${i + 2}`,
        }),
      ),
    );
    expect(writes.map((w) => w.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 2),
    );
    const meta = await server.services.secretReader.describe(admin, { secret: "concurrent" });
    expect(meta.currentVersion).toBe(51);
    const versions = await server.services.secretReader.versions(admin, { secret: "concurrent" });
    expect(versions.map((v) => v.version)).toEqual([51, 50, 49, 48, 47, 46, 45, 44, 43, 42]);
    // The value of the last version written is the current one.
    const last = writes.find((w) => w.version === 51)!;
    const revealed = await server.services.secretReader.reveal(admin, META, {
      secret: "concurrent",
    });
    expect(revealed.version).toBe(last.version);
    const [puts] = await server.deps.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE action = 'secret.put' AND resource LIKE '%/concurrent' AND result = 'ok'",
    );
    expect(puts!.n).toBe(50);
  });

  it("a stale check-and-set is refused with INVALID_STATUS and writes nothing", async () => {
    await server.services.secretWriter.create(admin, META, { secret: "cas", value: "fake-cas-1" });
    await server.services.secretWriter.put(admin, META, {
      secret: "cas",
      value: "fake-cas-2",
      expectedVersion: 1,
    });
    const error = await refusal(
      server.services.secretWriter.put(admin, META, {
        secret: "cas",
        value: "fake-cas-3",
        expectedVersion: 1,
      }),
    );
    expect(error.errorCode).toBe("INVALID_STATUS");
    const versions = await server.services.secretReader.versions(admin, { secret: "cas" });
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it("no table, column or log line holds a value in clear", async () => {
    await server.services.secretWriter.create(admin, META, {
      secret: "canary",
      value: CANARY,
      description: "fake",
    });
    await server.services.secretWriter.put(admin, META, { secret: "canary", value: CANARY_2 });
    const revealed = await server.services.secretReader.reveal(admin, META, { secret: "canary" });
    expect(revealed.value).toBe(CANARY_2);
    await server.services.auditChain.chainPending();
    const tables = await server.deps.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThan(10);
    const hex = (s: string) => Buffer.from(s).toString("hex");
    for (const { table_name } of tables) {
      const rows = await server.deps.db.query<{ row: string }>(
        `SELECT t::text AS row FROM "${table_name}" t`,
      );
      for (const { row } of rows) {
        for (const canary of [CANARY, CANARY_2]) {
          expect(row, table_name).not.toContain(canary);
          expect(row, table_name).not.toContain(hex(canary));
        }
      }
    }
    // The redaction safety net: even an object that carries a value or a token is censored.
    server.deps.log.info({ input: { secret: "canary", value: CANARY } }, "a careless log line");
    server.deps.log.warn(
      { req: { headers: { authorization: `Bearer ${server.adminToken}` } } },
      "a request",
    );
    const log = logLines.join("");
    expect(log).toContain("a careless log line");
    expect(log).toContain("[redacted]");
    expect(log).not.toContain(CANARY);
    expect(log).not.toContain(CANARY_2);
    expect(log).not.toContain(server.adminToken);
  });

  it("a ciphertext copied onto another secret's row fails to open, with a clear error", async () => {
    await server.services.secretWriter.create(admin, META, { secret: "source", value: CANARY_3 });
    await server.services.secretWriter.create(admin, META, {
      secret: "target",
      value: "fake-target",
    });
    // Warm the source's data key first: the cache must not help the moved row either.
    await server.services.secretReader.reveal(admin, META, { secret: "source" });
    await server.deps.db.query(
      `UPDATE secret_versions t SET wrapped_data_key = s.wrapped_data_key, ciphertext = s.ciphertext,
         protection_key_id = s.protection_key_id
       FROM secret_versions s, secrets ss, secrets ts
       WHERE ss.name = 'source' AND s.secret_id = ss.id AND ts.name = 'target' AND t.secret_id = ts.id`,
    );
    const error = await refusal(
      server.services.secretReader.reveal(admin, META, { secret: "target" }),
    );
    expect(error.errorCode).toBe("INTERNAL_SERVER_ERROR");
    expect(error.message).toMatch(/integrity check/);
    expect(error.message).toContain("secret://default/admin/target");
    expect(JSON.stringify(error.toBody())).not.toContain(CANARY_3);
  });

  it("bad input is a 4xx in the error format and writes nothing", async () => {
    const caller = callerAs(server, admin);
    const count = async () =>
      (
        await server.deps.db.query<{ n: number }>("SELECT count(*)::int AS n FROM secret_versions")
      )[0]!.n;
    const before = await count();
    const cases: [string, () => Promise<unknown>][] = [
      [
        "oversized",
        () => caller.secret.create({ secret: "big", value: "x".repeat(64 * 1024 + 1) }),
      ],
      [
        "unknown field",
        () => caller.secret.create({ secret: "x1", value: "v", colour: "red" } as never),
      ],
      ["bad name", () => caller.secret.create({ secret: "9lives", value: "v" })],
      ["bad owner", () => caller.secret.create({ secret: "Bad Owner/x", value: "v" })],
      ["no value", () => caller.secret.create({ secret: "novalue" })],
      ["wrong type", () => caller.secret.put({ secret: "cas", value: 42 } as never)],
      ["bad version", () => caller.secret.reveal({ secret: "cas", version: 0 })],
    ];
    for (const [what, call] of cases) {
      const error = await refusal(call());
      expect(error.errorCode, what).toBe("INVALID_REQUEST");
      expect(error.httpStatus, what).toBe(400);
    }
    expect(await count()).toBe(before);
  });

  it("verify finds an edited event, a deleted one, and a cut tail", async () => {
    await server.services.secretWriter.create(admin, META, { secret: "audited", value: "fake-a" });
    for (let i = 0; i < 3; i++)
      await server.services.secretReader.reveal(admin, META, { secret: "audited" });
    const clean = await server.services.auditChain.verify();
    expect(clean).toMatchObject({ ok: true, problems: [] });
    expect(clean.checked).toBeGreaterThan(5);

    const [victim] = await server.deps.db.query<{ chain_seq: number }>(
      "SELECT chain_seq FROM audit_events WHERE action = 'secret.reveal' ORDER BY chain_seq LIMIT 1",
    );
    await server.deps.db.query(
      "UPDATE audit_events SET actor = 'someone-else' WHERE chain_seq = $1",
      [victim!.chain_seq],
    );
    const edited = await server.services.auditChain.verify();
    expect(edited.ok).toBe(false);
    expect(edited.problems.join()).toContain(`event ${victim!.chain_seq}`);

    await server.deps.db.query("DELETE FROM audit_events WHERE chain_seq = $1", [
      victim!.chain_seq,
    ]);
    const gap = await server.services.auditChain.verify();
    expect(gap.problems.join()).toMatch(/missing/);

    const [head] = await server.deps.db.query<{ seq: number }>("SELECT seq FROM audit_chain_head");
    await server.deps.db.query("DELETE FROM audit_events WHERE chain_seq = $1", [head!.seq]);
    const cut = await server.services.auditChain.verify();
    expect(cut.problems.join()).toContain(`events ${head!.seq} to ${head!.seq}`);
  });
});
