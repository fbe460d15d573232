/**
 * The one storage interface: embedded PostgreSQL (PGlite) or a PostgreSQL server (pg), the
 * same SQL on both. Rows come back alike from both engines: int8 as number, bytea as Buffer.
 */
import { Buffer } from "node:buffer";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import pg from "pg";
import { lockDataDir } from "./data-dir-lock.js";

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
  /**
   * LISTENs on a channel (a plain lowercase identifier) and calls `onPayload` for each
   * notification committed by anyone. On a server the listening connection comes back by
   * itself after a loss; `onReconnect` then tells the caller it may have missed some.
   * Resolves once listening, to a function that stops it.
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const CHANNEL_RE = /^[a-z_][a-z0-9_]{0,62}$/;

function checkChannel(channel: string): void {
  if (!CHANNEL_RE.test(channel)) throw new Error(`bad channel name ${JSON.stringify(channel)}`);
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
  // One process at a time on a data directory (PGlite does not lock it): see data-dir-lock.ts.
  const unlock = dataDir === undefined ? async () => {} : await lockDataDir(dataDir);
  let db: PGlite;
  try {
    db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
    await db.waitReady;
  } catch (error) {
    await unlock();
    throw error;
  }
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
    async listen(channel, onPayload) {
      checkChannel(channel);
      const stop = await db.listen(channel, onPayload);
      return () => stop();
    },
    async close() {
      await db.close();
      await unlock();
    },
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
    listen: (channel, onPayload, onReconnect) =>
      listenOnServer(url, channel, onPayload, onReconnect),
    close: () => pool.end(),
  };
}

const RECONNECT_MS = 1000;

/**
 * A connection of its own (pooled ones are shared and released), LISTENing until stopped; when
 * it is lost it reconnects every second and reports the gap.
 */
async function listenOnServer(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
  onReconnect: (() => void) | undefined,
): Promise<() => Promise<void>> {
  checkChannel(channel);
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    // Keep-alive: a connection that dies silently is noticed by the OS and reported as lost.
    const c = new pg.Client({ connectionString: url, keepAlive: true });
    c.on("notification", (message) => {
      if (message.channel === channel) onPayload(message.payload ?? "");
    });
    const lost = (): void => {
      if (client !== c) return;
      client = undefined;
      c.end().catch(() => undefined);
      if (!stopped) schedule();
    };
    c.on("error", lost);
    c.on("end", lost);
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (error) {
      c.end().catch(() => undefined);
      throw error;
    }
    client = c;
  };
  const schedule = (): void => {
    retry = setTimeout(() => {
      connect().then(
        () => (stopped ? client?.end() : onReconnect?.()),
        () => {
          if (!stopped) schedule();
        },
      );
    }, RECONNECT_MS);
    retry.unref();
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
  };
}
