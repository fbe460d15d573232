/**
 * Test helpers: the same suites run on PGlite always and, when COFFER_TEST_DATABASE_URL is set
 * (.ci/run sets it), on the PostgreSQL server too, each test database in a schema of its own.
 */
import { randomBytes } from "node:crypto";
import { CofferError, type ErrorCode } from "@coffer/core";
import { refusal, tempDir } from "@coffer/test-kit";
import { createTRPCClient, httpLink, type TRPCClientError } from "@trpc/client";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import type { Actor } from "./auth/actor.js";
import { Authenticator } from "./auth/authenticate.js";
import { openPglite, openPostgres, type Database } from "./db/database.js";
import { readConfig, type Config } from "./env.js";
import { createLogger } from "./logger.js";
import { appRouter, type AppRouter } from "./routers/_app.js";
import { startServer, type CofferServer, type StartOptions } from "./server.js";
import { pgliteTemplate } from "./test-pglite-template.js";
import { createCallerFactory } from "./trpc.js";

export const POSTGRES_URL = process.env["COFFER_TEST_DATABASE_URL"];

export type Engine = "pglite" | "postgres";

/** The engines to run storage suites on. */
export const ENGINES: Engine[] = POSTGRES_URL ? ["pglite", "postgres"] : ["pglite"];

export interface TestDatabase {
  db: Database;
  /** A second, independent connection to the same database (a second replica). */
  open(): Promise<Database>;
  drop(): Promise<void>;
}

/**
 * A database of one's own. On PGlite it is a copy of the run's migrated template (see
 * test-pglite-template.ts) unless `empty` asks for one without even the migrations.
 */
export async function testDatabase(
  engine: Engine,
  { empty = false }: { empty?: boolean } = {},
): Promise<TestDatabase> {
  if (engine === "pglite") {
    const loadDataDir = empty ? undefined : await pgliteTemplate();
    const db = await openPglite(undefined, loadDataDir === undefined ? {} : { loadDataDir });
    return { db, open: () => Promise.resolve(db), drop: () => db.close() };
  }
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(POSTGRES_URL!);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const opened: Database[] = [];
  const open = (): Promise<Database> => {
    const db = openPostgres(url.toString(), { max: 60 });
    opened.push(db);
    return Promise.resolve(db);
  };
  const db = await open();
  return {
    db,
    open,
    async drop() {
      for (const d of opened) await d.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

export interface TestServer extends CofferServer {
  adminToken: string;
  config: Config;
  dataDir: string;
  stop(): Promise<void>;
}

/** A server on a free port with its own data dir and database; jobs off unless asked. */
export async function startTestServer(
  engine: Engine = "pglite",
  options: StartOptions & { env?: Record<string, string>; database?: TestDatabase } = {},
): Promise<TestServer> {
  const data = await tempDir("coffer-test-");
  const dataDir = data.dir;
  const database = options.database ?? (await testDatabase(engine));
  const config = readConfig(
    { COFFER_PORT: "0", COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: "silent", ...options.env },
    dataDir,
  );
  const server = await startServer(config, {
    jobs: false,
    log: createLogger({ logLevel: "silent" }),
    ...options,
    db: database.db,
  });
  if (server.adminToken === undefined) throw new Error("a test server starts on an empty database");
  return {
    ...server,
    adminToken: server.adminToken,
    config,
    dataDir,
    async stop() {
      await server.close();
      if (options.database === undefined) await database.drop();
      await data.remove();
    },
  };
}

/** The server of a `describe` block: its database, the server, and the admin's actor. */
export interface SuiteServer {
  readonly database: TestDatabase;
  readonly server: TestServer;
  readonly admin: Actor;
}

/**
 * Starts one server on its own database before a `describe` block's tests and stops both
 * after them. Read the fields inside tests and hooks (they are set by `beforeAll`).
 */
export function serverForSuite(
  engine: Engine,
  options: StartOptions & { env?: Record<string, string> } = {},
): SuiteServer {
  const suite: { -readonly [K in keyof SuiteServer]?: SuiteServer[K] } = {};
  beforeAll(async () => {
    suite.database = await testDatabase(engine);
    suite.server = await startTestServer(engine, { ...options, database: suite.database });
    suite.admin = await actorFor(suite.server, suite.server.adminToken);
  });
  afterAll(async () => {
    await suite.server?.stop();
    await suite.database?.drop();
  });
  const field = <K extends keyof SuiteServer>(key: K): SuiteServer[K] => {
    const value = suite[key];
    if (value === undefined) throw new Error(`the suite's ${key} is read before its beforeAll ran`);
    return value;
  };
  return {
    get database() {
      return field("database");
    },
    get server() {
      return field("server");
    },
    get admin() {
      return field("admin");
    },
  };
}

/** The actor a token stands for, as the HTTP layer would authenticate it. */
export function actorFor(server: CofferServer, token: string): Promise<Actor> {
  return new Authenticator(server.deps).authenticate(
    { authorization: `Bearer ${token}` },
    "127.0.0.1",
  );
}

export const META = { ip: "127.0.0.1", requestId: "test" };

/** The router called as `actor`, without HTTP (tRPC's createCaller on the inner context). */
export function callerAs(server: CofferServer, actor: Actor) {
  return createCallerFactory(appRouter)({
    deps: server.deps,
    services: server.services,
    meta: META,
    actor,
    authenticate: () => Promise.resolve(actor),
    authenticateJob: () => Promise.reject(new Error("test callers act as a person, not a job")),
  });
}

/** The CofferError a call is refused with (anything else, or success, fails the test). */
export { refusal };

/** The API over real HTTP at `url` (a server's, a child process's), as `token` (cft_, cfj_). */
export function httpCaller(url: string, token: string) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

/** The CofferError a call over HTTP is refused with: the SPEC's error body, as tRPC hands it over. */
export const httpRefusal = (promise: Promise<unknown>): Promise<CofferError> =>
  refusal(promise, (error) => {
    const shape = (error as TRPCClientError<AppRouter>).shape as
      { errorCode: ErrorCode; message: string; details: Record<string, unknown> } | undefined;
    if (!shape) throw error;
    return new CofferError(shape.errorCode, shape.message, shape.details);
  });

/**
 * A logger at `debug` that keeps every line in memory, for tests that prove no value, key or
 * token reaches the server's log (`text()`: all of it so far).
 */
export function capturedLogger() {
  const lines: string[] = [];
  const log = createLogger({ logLevel: "debug" }, { write: (line: string) => lines.push(line) });
  return { log, text: () => lines.join("") };
}
