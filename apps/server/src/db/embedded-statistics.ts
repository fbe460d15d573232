/**
 * Planner statistics and dead rows for the embedded database. PGlite runs no autovacuum, so without this
 * its tables are never ANALYZEd and the planner guesses: a listing at 100,000 secrets took
 * seconds instead of milliseconds (issue 12). This job does what autovacuum's analyze does on
 * a server: ANALYZE once the rows written since the last one pass 50 + 10 % of the rows
 * there were then (PostgreSQL's defaults), and at the first run after a start when a table
 * was never analyzed. Likewise VACUUM, which reclaims the dead rows every update and delete
 * leaves (each put updates its secret's row and prunes versions; the audit chainer updates
 * every event): once the rows written since the last VACUUM pass 50 + 20 % of the rows
 * (autovacuum_vacuum_threshold and _scale_factor). The rows written are counted by the database
 * handle itself (PGlite is one process: it sees every write), inserts included: an overcount
 * only brings the next VACUUM forward. On a PostgreSQL server there is nothing to do.
 */
import type { Database, Queryable } from "./database.js";

/** PostgreSQL's autovacuum_analyze_threshold and autovacuum_analyze_scale_factor. */
const BASE_THRESHOLD = 50;
const SCALE_FACTOR = 0.1;
/** PostgreSQL's autovacuum_vacuum_scale_factor (its threshold is 50 as well). */
const VACUUM_SCALE_FACTOR = 0.2;

export class EmbeddedStatistics {
  /** Rows written at the last ANALYZE; undefined until the first check after a start. */
  #writtenAtLast: number | undefined;
  #threshold = BASE_THRESHOLD;
  /** Rows written at the last VACUUM (0: none since the start, which counts from 0). */
  #writtenAtVacuum = 0;
  #vacuumThreshold = BASE_THRESHOLD;

  constructor(private readonly db: Database) {}

  /** ANALYZEs when due; returns whether it did. Runs in the caller's transaction. */
  async maintain(q: Queryable): Promise<boolean> {
    if (this.db.engine !== "pglite") return false;
    const written = this.db.rowsWritten();
    const due =
      this.#writtenAtLast === undefined
        ? await this.#neverAnalyzed(q)
        : written - this.#writtenAtLast >= this.#threshold;
    if (!due) {
      this.#writtenAtLast ??= written;
      return false;
    }
    await q.query("ANALYZE");
    const [rows] = await q.query<{ n: number }>(
      `SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 AS n
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname = current_schema()`,
    );
    this.#writtenAtLast = written;
    this.#threshold = BASE_THRESHOLD + SCALE_FACTOR * (rows?.n ?? 0);
    this.#vacuumThreshold = BASE_THRESHOLD + VACUUM_SCALE_FACTOR * (rows?.n ?? 0);
    return true;
  }

  /**
   * VACUUMs when due; returns whether it did. Outside any transaction (VACUUM cannot run in
   * one): the job runs it after its transaction committed.
   */
  async vacuumIfDue(): Promise<boolean> {
    if (this.db.engine !== "pglite") return false;
    const written = this.db.rowsWritten();
    if (written - this.#writtenAtVacuum < this.#vacuumThreshold) return false;
    await this.db.exec("VACUUM");
    this.#writtenAtVacuum = written;
    return true;
  }

  /** A table of ours never analyzed (reltuples is -1 until then, since PostgreSQL 14). */
  async #neverAnalyzed(q: Queryable): Promise<boolean> {
    const [row] = await q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.reltuples < 0`,
    );
    return (row?.n ?? 0) > 0;
  }
}
