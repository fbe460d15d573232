/**
 * Servers in processes of their own, as they run in production: the Express hello world and
 * Coffer's `apps/server/dist/main.js` with product defaults (only the port, the data directory,
 * the database and the log level set).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { processCpuSeconds } from "./proc-stats.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, "../..");
const MAIN = path.join(REPO, "apps/server/dist/main.js");

export interface Spawned {
  url: string;
  pid: number;
  /** The admin token printed on a first start (never printed by the benchmark). */
  token: string | undefined;
  /** From spawn to the first 200 of /readyz (Coffer) or the listening line (hello world). */
  readyMs: number;
  /** CPU seconds the process had used by then (/proc; null elsewhere): less load-dependent. */
  readyCpuS: number | null;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
}

export async function spawnHello(port: number): Promise<Spawned> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(here, "hello-server.js"), String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await once(child.stdout, "data");
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    token: undefined,
    readyMs: performance.now() - started,
    readyCpuS: await processCpuSeconds(child.pid!),
    stop: stopper(child),
  };
}

export interface CofferOptions {
  port: number;
  dataDir: string;
  databaseUrl?: string;
  /** Extra flags for node (e.g. --cpu-prof). */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

const TOKEN_RE = /^\s+(cft_[A-Za-z0-9]+)\s*$/m;
const READY_DEADLINE_MS = 120_000;

export async function spawnCoffer(options: CofferOptions): Promise<Spawned> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    COFFER_PORT: String(options.port),
    COFFER_DATA_DIR: options.dataDir,
    COFFER_LOG_LEVEL: "warn",
    ...options.env,
  };
  delete env["DATABASE_URL"];
  if (options.databaseUrl !== undefined) env["DATABASE_URL"] = options.databaseUrl;
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const url = `http://127.0.0.1:${options.port}`;
  for (;;) {
    if (child.exitCode !== null) {
      // Never the token: a failed start prints none, but cut it out all the same.
      throw new Error(`the server exited: ${stderr.replace(TOKEN_RE, "***").slice(0, 500)}`);
    }
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) break;
    if (performance.now() - started > READY_DEADLINE_MS) {
      child.kill("SIGKILL");
      throw new Error("the server was not ready in time");
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const readyMs = performance.now() - started;
  const readyCpuS = await processCpuSeconds(child.pid!);
  return {
    url,
    pid: child.pid!,
    token: TOKEN_RE.exec(stderr)?.[1],
    readyMs,
    readyCpuS,
    stop: stopper(child),
  };
}
