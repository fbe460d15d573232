/**
 * Real processes for the gateway's end-to-end tests, all on 127.0.0.1:
 * - the Coffer server, its built `main.js` run as a child process (PGlite in a temporary
 *   directory, or PostgreSQL), ready once it has logged where it listens (and, on a first start,
 *   printed the admin token);
 * - an echo upstream (node:http) answering JSON of what it received;
 * - an Express gateway: `express.json()`, the middlewares under test, a small forwarding proxy
 *   to the upstream, and the package's error handler;
 * - helpers: polling with a deadline, the server's reveal-call count from its /metrics,
 *   a PostgreSQL schema of one's own through `psql`.
 * Every child is killed when the test process exits, whatever happened to the tests.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type Server,
} from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createCofferClient, type CofferClient } from "@coffer/client";
import express, { type RequestHandler } from "express";
import { errorHandler } from "../gateway-error.js";
import type { CofferMiddleware } from "../middleware.js";

/** `apps/server/dist/main.js`, found from where the @coffer/server package resolves. */
export const SERVER_MAIN = fileURLToPath(
  new URL("./main.js", import.meta.resolve("@coffer/server")),
);

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface ServerOptions {
  /** COFFER_DATA_DIR: PGlite's files (without databaseUrl) and root.key. */
  dataDir: string;
  /** Default 0: a free port, read from the "listening on" log line. */
  port?: number;
  /** DATABASE_URL; PGlite in dataDir without it. */
  databaseUrl?: string;
  /** Wait for the admin token too (printed on the first start of an org only). */
  expectToken: boolean;
  /** COFFER_LOG_LEVEL (default info). */
  logLevel?: string;
  /** How long the start may take (default 60 s: a first PGlite start runs initdb). */
  timeoutMs?: number;
}

export interface ServerProcess {
  url: string;
  port: number;
  /** Set when this start printed it (a first start). */
  adminToken: string | undefined;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends the signal (default SIGTERM) and waits for the exit (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const LISTENING_RE = /Coffer is listening on (http:\/\/[^,"\s]+)/;
const TOKEN_RE = /shown only this once:\s+(\S+)\s/;

/** Starts `node apps/server/dist/main.js` and waits until it listens (and printed its token). */
export async function spawnServer(options: ServerOptions): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    COFFER_HOST: "127.0.0.1",
    COFFER_PORT: String(options.port ?? 0),
    COFFER_DATA_DIR: options.dataDir,
    COFFER_LOG_LEVEL: options.logLevel ?? "info",
  };
  if (options.databaseUrl !== undefined) env["DATABASE_URL"] = options.databaseUrl;
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env,
    cwd: options.dataDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running.delete(child);
      resolve();
    });
  });
  const ready = new Promise<{ url: string; token: string | undefined }>((resolve, reject) => {
    const check = (): void => {
      const url = LISTENING_RE.exec(output)?.[1];
      const token = TOKEN_RE.exec(output)?.[1];
      if (url !== undefined && (token !== undefined || !options.expectToken)) {
        resolve({ url, token });
      }
    };
    const collect = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      check();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    void exited.then(() => reject(new Error(`the server exited while starting:\n${output}`)));
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the server did not start in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
  });
  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(force);
  };
  let started;
  try {
    started = await Promise.race([ready, timeout]);
  } catch (error) {
    await stop("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    url: started.url,
    port: Number(new URL(started.url).port),
    adminToken: started.token,
    child,
    output: () => output,
    stop,
  };
}

/** A typed client without retries (a test sees every failure as it is). */
export function clientFor(url: string, token: string): CofferClient {
  return createCofferClient({ url, token, retries: 0 });
}

/** A fresh temporary directory and its removal. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Listening {
  url: string;
  server: Server;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What the echo upstream answers: the request as it arrived. */
export interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON when it is JSON, else its text ("" when none). */
  body: unknown;
}

export async function startEchoUpstream(): Promise<Listening> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = text === "" ? "" : (JSON.parse(text) as unknown);
      } catch {
        // not JSON: the text as it came
      }
      const echo: Echo = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(echo));
    });
  });
  return listen(server);
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

/** Calls `probe` every `intervalMs` until it returns something, or throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 5000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

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
