/**
 * Real processes for the gateway's end-to-end tests, all on 127.0.0.1:
 * - the Coffer server, its built `main.js` run as a child process by @coffer/test-kit (PGlite
 *   in a temporary directory, or PostgreSQL);
 * - an Express gateway: `express.json()`, the middlewares under test, a small forwarding proxy
 *   to the upstream, and the package's error handler;
 * - helpers: the server's reveal-call count from its /metrics,
 *   a PostgreSQL schema of one's own through `psql`.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, request, type OutgoingHttpHeaders } from "node:http";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createCofferClient, type CofferClient } from "@coffer/client";
import {
  listen,
  spawnCoffer,
  type CofferProcess,
  type Echo,
  type Listening,
} from "@coffer/test-kit";
import express, { type RequestHandler } from "express";
import { errorHandler } from "../gateway-error.js";
import type { CofferMiddleware } from "../middleware.js";

/** `apps/server/dist/main.js`, found from where the @coffer/server package resolves. */
export const SERVER_MAIN = fileURLToPath(
  new URL("./main.js", import.meta.resolve("@coffer/server")),
);

export interface ServerOptions {
  /** COFFER_DATA_DIR: PGlite's files (without databaseUrl) and root.key. */
  dataDir: string;
  /** Default 0: a free port, read from the "listening on" log line. */
  port?: number;
  /** DATABASE_URL; PGlite in dataDir without it. */
  databaseUrl?: string;
  /** Wait for the admin token too (printed on the first start of an org only). */
  expectToken: boolean;
}

/** Starts `node apps/server/dist/main.js` and waits until it listens (and printed its token). */
export type ServerProcess = CofferProcess;

export function spawnServer(options: ServerOptions): Promise<ServerProcess> {
  return spawnCoffer(SERVER_MAIN, {
    dataDir: options.dataDir,
    expectToken: options.expectToken,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.databaseUrl === undefined ? {} : { env: { DATABASE_URL: options.databaseUrl } }),
  });
}

/** A typed client without retries (a test sees every failure as it is). */
export function clientFor(url: string, token: string): CofferClient {
  return createCofferClient({ url, token, retries: 0 });
}

/** Headers that describe a connection, or that the forwarding sets itself. */
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "host",
  "content-length",
]);

/**
 * A minimal reverse proxy: method, `req.url` (where the middleware wrote the query), headers
 * and the body (`req.body` as JSON when a parser read it, else the stream) go to the upstream.
 */
export function forwardTo(upstream: string): RequestHandler {
  const target = new URL(upstream);
  return (req, res, next) => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!NOT_FORWARDED.has(name) && value !== undefined) headers[name] = value;
    }
    const parsed: unknown = req.body;
    const body = parsed === undefined ? undefined : Buffer.from(JSON.stringify(parsed));
    if (body !== undefined) headers["content-length"] = body.length;
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (answer) => {
        res.status(answer.statusCode ?? 502);
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!NOT_FORWARDED.has(name) && value !== undefined) res.setHeader(name, value);
        }
        answer.pipe(res);
      },
    );
    outgoing.on("error", next);
    if (body !== undefined) outgoing.end(body);
    else req.pipe(outgoing);
  };
}

/** An Express app: `express.json()`, the given middlewares, the proxy, the error handler. */
export async function startExpressGateway(
  upstream: string,
  ...middlewares: RequestHandler[]
): Promise<Listening> {
  const app = express();
  app.use(express.json());
  for (const middleware of middlewares) app.use(middleware);
  app.use(forwardTo(upstream));
  app.use(errorHandler());
  return listen(createServer(app));
}

/**
 * Express gateways in front of `upstream()`, each closed with the coffer middlewares it runs
 * by `closeAll` (call it in afterEach and afterAll).
 */
export function gateways(upstream: () => string): {
  through: (...handlers: RequestHandler[]) => Promise<string>;
  closeAll: () => Promise<void>;
} {
  const cleanups: (() => Promise<void>)[] = [];
  return {
    async through(...handlers) {
      const gateway = await startExpressGateway(upstream(), ...handlers);
      cleanups.push(() => gateway.close());
      for (const handler of handlers) {
        const close = (handler as Partial<CofferMiddleware>).close;
        if (close !== undefined) cleanups.push(close);
      }
      return gateway.url;
    },
    async closeAll() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    },
  };
}

/** The x-key header the upstream received, or the gateway's status when it was not 200. */
export async function keyVia(gateway: string): Promise<string> {
  const { status, echo } = await echoOf(`${gateway}/`);
  return status === 200 ? String(echo!.headers["x-key"]) : `status ${status}`;
}

/** Holds every request until `count` have arrived, then lets them all on in one tick. */
export function barrier(count: number): RequestHandler {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return (_req, _res, next) => {
    if (++arrived === count) open();
    void opened.then(() => next());
  };
}

/** The server's count of `secret.batchReveal` calls (all outcomes), from its /metrics. */
export async function revealCalls(serverUrl: string): Promise<number> {
  const response = await fetch(`${serverUrl}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  let total = 0;
  for (const line of (await response.text()).split("\n")) {
    if (
      line.startsWith("coffer_requests_total{") &&
      line.includes('procedure="secret.batchReveal"')
    ) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

/** The PostgreSQL server of COFFER_TEST_DATABASE_URL, when set: the replica tests run then. */
export const POSTGRES_URL = process.env["COFFER_TEST_DATABASE_URL"] || undefined;

const run = promisify(execFile);

/**
 * A schema of one's own, made with `psql` (the package does not depend on pg), and the
 * DATABASE_URL that puts the server in it (`options=-c search_path=<schema>`).
 */
export async function createSchema(
  baseUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `gw_e2e_${randomBytes(6).toString("hex")}`;
  const psql = (sql: string) => run("psql", [baseUrl, "-v", "ON_ERROR_STOP=1", "-qc", sql]);
  await psql(`CREATE SCHEMA ${schema}`);
  const options = `options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url: `${baseUrl}${baseUrl.includes("?") ? "&" : "?"}${options}`,
    drop: async () => {
      await psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

/** A request through a gateway; the upstream's echo when it answered 200, else the status. */
export async function echoOf(
  url: string,
  init?: RequestInit,
): Promise<{
  status: number;
  echo: Echo | undefined;
  body: unknown;
  text: string;
  headers: Headers;
}> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  return {
    status: response.status,
    echo: response.status === 200 ? (body as Echo) : undefined,
    body,
    text,
    headers: response.headers,
  };
}
