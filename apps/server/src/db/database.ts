/**
 * The one storage interface: embedded PostgreSQL (PGlite) or a PostgreSQL server (pg), the
 * same SQL on both. Rows come back alike from both engines: int8 as number, bytea as Buffer.
 */
import { Buffer } from "node:buffer";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import pg from "pg";

export type Row = Record<string, unknown>;

export interface Queryable {
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Database extends Queryable {
  readonly engine: "pglite" | "postgres";
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

function normalise<R>(rows: Row[]): R[] {
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
        row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    }
  }
  return rows as unknown as R[];
}

export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  await db.waitReady;
  const on = (target: PGlite | Transaction): Queryable => ({
    async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = await target.query<Row>(sql, params as unknown[]);
      return normalise<R>(result.rows);
    },
  });
  return {
    engine: "pglite",
    ...on(db),
    transaction: (fn) => db.transaction((tx) => fn(on(tx))),
    exec: async (sql) => {
      await db.exec(sql);
    },
    close: () => db.close(),
  };
}

/**
 * Data statements run as named (prepared) statements: PostgreSQL plans each once per
 * connection instead of at every call, which was most of the cost of a short query. DDL and
 * anything else stay unnamed.
 */
const statementNames = new Map<string, string>();
const PREPARABLE_RE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;

function statement(sql: string, params: readonly unknown[]): pg.QueryConfig {
  if (!PREPARABLE_RE.test(sql)) return { text: sql, values: params as unknown[] };
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `coffer_${statementNames.size + 1}`;
    statementNames.set(sql, name);
  }
  return { name, text: sql, values: params as unknown[] };
}

const INT8_OID = 20;
// int8 as number, as PGlite returns it (our counters stay far below 2^53). Process-wide.
pg.types.setTypeParser(INT8_OID, Number);

export function openPostgres(url: string, options: { max?: number } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 20,
  });
  const on = (target: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = await target.query<Row>(statement(sql, params));
      return normalise<R>(result.rows);
    },
  });
  return {
    engine: "postgres",
    ...on(pool),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn(on(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
