/**
 * The embedded database keeps its planner statistics current by itself (PGlite runs no
 * autovacuum): a first check after a start ANALYZEs tables never analyzed, and later checks
 * ANALYZE once 50 + 10 % of the rows have been written since the last one; VACUUM reclaims dead
 * rows once 50 + 20 % have been.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreJobs, JobRunner } from "../jobs/jobs.js";
import { startTestServer, type TestServer } from "../test-support.js";
import { EmbeddedStatistics } from "./embedded-statistics.js";

describe("planner statistics on PGlite", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer("pglite");
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** pg_class's row estimate for the secrets table: -1 until it is first analyzed. */
  const estimate = async (): Promise<number> => {
    const [row] = await server.deps.db.query<{ n: number }>(
      "SELECT reltuples::float8 AS n FROM pg_class WHERE relname = 'secrets' AND relkind = 'r'",
    );
    return row!.n;
  };

  /** `n` secrets of admin's, written straight into the table (no service cost). */
  const addSecrets = async (n: number, from: number): Promise<void> => {
    const [key] = await server.deps.db.query<{ id: string }>(
      "SELECT id FROM protection_keys WHERE is_default",
    );
    await server.deps.db.query(
      `INSERT INTO secrets (owner, name, protection_key_id, current_version, last_version, created_by, updated_by)
       SELECT 'admin', 'stat_' || i, $1, 1, 1, 'admin', 'admin' FROM generate_series($2::int, $3::int) i`,
      [key!.id, from, from + n - 1],
    );
  };

  it("analyzes never-analyzed tables at the first check, then after enough writes", async () => {
    await addSecrets(500, 1);
    expect(await estimate()).toBeLessThan(0);
    const statistics = new EmbeddedStatistics(server.deps.db);
    expect(await server.deps.db.transaction((tx) => statistics.maintain(tx))).toBe(true);
    expect(await estimate()).toBe(500);

    // Below the threshold (50 + 10 % of the rows): nothing; past it: the estimate follows.
    await addSecrets(20, 501);
    expect(await server.deps.db.transaction((tx) => statistics.maintain(tx))).toBe(false);
    expect(await estimate()).toBe(500);
    await addSecrets(2000, 1001);
    expect(await server.deps.db.transaction((tx) => statistics.maintain(tx))).toBe(true);
    expect(await estimate()).toBe(2520);
  });

  it("vacuums once enough rows were written, which gives the pages of deleted rows back", async () => {
    const db = server.deps.db;
    const size = async (): Promise<number> => {
      const [row] = await db.query<{ n: number }>(
        "SELECT pg_relation_size('vacuum_probe')::int AS n",
      );
      return row!.n;
    };
    const statistics = new EmbeddedStatistics(db);
    await db.exec("CREATE TABLE vacuum_probe (x int)");
    await db.query("INSERT INTO vacuum_probe SELECT generate_series(1, 5000)");
    expect(await db.transaction((tx) => statistics.maintain(tx))).toBe(true);
    await db.query("DELETE FROM vacuum_probe");
    // The deleted rows still take their pages until a VACUUM (PGlite runs no autovacuum).
    expect(await size()).toBeGreaterThan(0);
    expect(await statistics.vacuumIfDue()).toBe(true);
    expect(await size()).toBe(0);
    // Nothing written since: not due.
    expect(await statistics.vacuumIfDue()).toBe(false);
    await db.exec("DROP TABLE vacuum_probe");
  });

  it("is one of the background jobs on PGlite, and none on a server", async () => {
    const job = coreJobs(server.deps).find((j) => j.name === "embedded-statistics");
    expect(job).toBeDefined();
    expect(await new JobRunner(server.deps, server.services).runOnce(job!)).toBe(true);
    const onServer = coreJobs({ ...server.deps, db: { ...server.deps.db, engine: "postgres" } });
    expect(onServer.map((j) => j.name)).not.toContain("embedded-statistics");
  });
});
