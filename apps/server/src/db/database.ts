/**
 * The one storage interface: embedded PostgreSQL (PGlite) or a PostgreSQL server (pg), the
 * same SQL on both. Rows come back alike from both engines: int8 as number, bytea as Buffer.
 */
import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import { chmod, cp, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite, type PGliteOptions, type Transaction } from "@electric-sql/pglite";
import { isCofferError } from "@coffer/core";
import pg from "pg";
import { lockDataDir } from "./data-dir-lock.js";
import type { Logger } from "../logger.js";
import {
  commitOutcomeUnknown,
  databaseUnavailable,
  failureSummary,
  isConnectionFailure,
} from "./connection-loss.js";

export type Row = Record<string, unknown>;

export interface Queryable {
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Database extends Queryable {
  readonly engine: "pglite" | "postgres";
  /**
   * Rows inserted, updated or deleted through this handle since it opened (PGlite only, which
   * has no autovacuum to keep planner statistics current; 0 on a server, where autovacuum
   * does). Counted whether or not the transaction then committed: an overcount only brings
   * the next ANALYZE forward.
   */
  rowsWritten(): number;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs several statements (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * LISTENs on a channel (a plain lowercase identifier) and calls `onPayload` for each
   * notification committed by anyone. On a server the listening connection comes back by
   * itself after a loss: `onLost` says at once that notifications may be missed from now,
   * `onReconnect` that they are heard again (some may have been missed between).
   * Resolves once listening, to a function that stops it.
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onReconnect?: () => void,
    onLost?: () => void,
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

/**
 * The data directory initdb makes, made once by the build (scripts/pglite-template.mjs), as a
 * directory and as a tar: a fresh database starts from it instead of running initdb, which was
 * most of a first start's time. Found from dist/db and from src/db (tests) alike; without a
 * build, initdb runs as before.
 */
const TEMPLATE_DIR = fileURLToPath(new URL("../../dist/db/pglite-template", import.meta.url));
const TEMPLATE_TAR = `${TEMPLATE_DIR}.tar.gz`;
let templateTar: Promise<Buffer | undefined> | undefined;

/**
 * Starts a data directory that does not exist yet as a copy of the template directory: a
 * native copy under a temporary name, then renamed, so that a crash midway leaves no
 * half-copied database. Returns whether it did.
 */
async function copyTemplate(dataDir: string): Promise<boolean> {
  if (existsSync(dataDir) || !existsSync(path.join(TEMPLATE_DIR, "PG_VERSION"))) return false;
  const partial = `${dataDir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await cp(TEMPLATE_DIR, partial, { recursive: true });
  await chmod(partial, 0o700);
  await rename(partial, dataDir);
  return true;
}

/** The template as a tar, for an in-memory database or a directory that exists but is empty. */
async function templateFor(dataDir: string | undefined): Promise<Blob | undefined> {
  if (dataDir !== undefined && existsSync(path.join(dataDir, "PG_VERSION"))) return undefined;
  templateTar ??= readFile(TEMPLATE_TAR).catch(() => undefined);
  const tar = await templateTar;
  return tar === undefined ? undefined : new Blob([tar]);
}

/**
 * PGlite's PostgreSQL settings. shared_buffers: PostgreSQL's default of 128 MB is touched in
 * full at start inside the WebAssembly memory, so it was resident from the first second (an
 * idle server with 10,000 secrets held 358 MiB; issue 12 wants under 200 MB). 16 MB holds the
 * hot pages of a store of 100,000 secrets' indexes; the rest comes from the OS page cache.
 * Nothing else is changed (PGlite itself starts PostgreSQL with -F, fsync off: see RESULTS.md).
 */
const PGLITE_SETTINGS = ["shared_buffers=16MB"];

export async function openPglite(
  dataDir: string | undefined,
  given: {
    /** An in-memory database starts as a copy of this dump (PGlite's dumpDataDir): tests. */
    loadDataDir?: Blob;
  } = {},
): Promise<Database> {
  // One process at a time on a data directory (PGlite does not lock it): see data-dir-lock.ts.
  const unlock = dataDir === undefined ? async () => {} : await lockDataDir(dataDir);
  let db: PGlite;
  try {
    const copied = dataDir !== undefined && (await copyTemplate(dataDir));
    const loadDataDir = copied ? undefined : (given.loadDataDir ?? (await templateFor(dataDir)));
    const options: PGliteOptions = { postgresqlconf: PGLITE_SETTINGS };
    if (loadDataDir !== undefined) options.loadDataDir = loadDataDir;
    db = dataDir === undefined ? new PGlite(options) : new PGlite(dataDir, options);
    await db.waitReady;
  } catch (error) {
    await unlock();
    throw error;
  }
  let written = 0;
  const on = (target: PGlite | Transaction): Queryable => ({
    async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = await target.query<Row>(sql, params as unknown[]);
      written += result.affectedRows ?? 0;
      return normalise<R>(result.rows);
    },
  });
  return {
    engine: "pglite",
    rowsWritten: () => written,
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

/**
 * How long a connection may take to open, and a call may wait for a free pooled one (pg uses
 * one setting for both): past it the call fails with a 503 instead of hanging while the
 * database is unreachable (a failover whose packets go nowhere). Statements have no timeout:
 * long ones are legitimate.
 */
const CONNECT_TIMEOUT_MS = 10_000;

export interface PostgresOptions {
  max?: number;
  /** Where lost connections are reported (code and message only, never a URL or parameter). */
  log?: Pick<Logger, "warn">;
}

/**
 * A pool of connections to a PostgreSQL server. A connection that ends (pg_terminate_backend,
 * a restart, a failover) never takes the process down: idle ones are dropped by the pool,
 * checked-out ones fail their call and are destroyed, not reused. Connection failures become a
 * 503 CofferError (connection-loss.ts); statement errors pass through unchanged.
 */
export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 20,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // A connection that dies silently is noticed by the OS and reported as lost.
    keepAlive: true,
  });
  /** Connections that broke, with what broke them: destroyed on release, never reused. */
  const broken = new WeakMap<pg.ClientBase, unknown>();
  // Every connection gets an error listener from its first moment to its end. It cannot be
  // attached at checkout: pg hands a pooled connection over and only later resumes the caller,
  // and an error arriving in between (a FATAL right after the previous query's answer) would
  // find no listener and end the process.
  pool.on("connect", (client) => {
    client.on("error", (error) => {
      if (broken.has(client)) return;
      broken.set(client, error);
      options.log?.warn({ err: failureSummary(error) }, "a database connection was lost");
    });
  });
  // An idle connection that broke: already logged above; the pool has dropped it and a later
  // call opens a new one. Without a listener here the pool's 'error' would end the process.
  pool.on("error", () => undefined);
  /** A connection failure becomes the 503; anything else is rethrown as it is. */
  const failed = (error: unknown): never => {
    if (isConnectionFailure(error)) throw databaseUnavailable();
    throw error;
  };
  const on = (target: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = await target.query<Row>(statement(sql, params)).catch(failed);
      return normalise<R>(result.rows);
    },
  });
  return {
    engine: "postgres",
    rowsWritten: () => 0,
    ...on(pool),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect().catch(failed);
      let committing = false;
      let lostAtCommit: unknown;
      try {
        await client.query("BEGIN").catch(failed);
        const result = await fn(on(client));
        // Broken before COMMIT was sent: the transaction died with the connection.
        if (broken.has(client)) throw databaseUnavailable();
        committing = true;
        await client.query("COMMIT");
        return result;
      } catch (error) {
        if (committing && isConnectionFailure(error)) {
          // COMMIT was sent and no answer came: it may have been applied. Never claim success,
          // and never say "not applied" either.
          lostAtCommit = error;
          throw commitOutcomeUnknown();
        }
        if (!broken.has(client)) {
          await client.query("ROLLBACK").catch((rollbackError: unknown) => {
            if (!broken.has(client)) broken.set(client, rollbackError);
          });
        }
        // A connection lost before COMMIT took the transaction with it: nothing was applied.
        if (broken.has(client) && !isCofferError(error)) failed(error);
        throw error;
      } finally {
        const failure = broken.get(client) ?? lostAtCommit;
        client.release(failure === undefined ? undefined : toError(failure));
      }
    },
    exec: async (sql) => {
      await pool.query(sql).catch(failed);
    },
    listen: (channel, onPayload, onReconnect, onLost) =>
      listenOnServer(url, channel, onPayload, onReconnect, onLost),
    close: () => pool.end(),
  };
}

const toError = (value: unknown): Error =>
  value instanceof Error ? value : new Error("connection failure");

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
  onLost?: () => void,
): Promise<() => Promise<void>> {
  checkChannel(channel);
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    // Keep-alive: a connection that dies silently is noticed by the OS and reported as lost.
    const c = new pg.Client({
      connectionString: url,
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    c.on("notification", (message) => {
      if (message.channel === channel) onPayload(message.payload ?? "");
    });
    const lost = (): void => {
      if (client !== c) return;
      client = undefined;
      c.end().catch(() => undefined);
      if (!stopped) {
        onLost?.();
        schedule();
      }
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
