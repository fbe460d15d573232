/**
 * The processes of the rotation benchmark besides the Coffer servers (spawned.ts): the
 * upstream and the load (forked Node scripts with an IPC channel) and the standalone gateway
 * (`apps/gateway/dist/main.js` with a config file, as it runs in production).
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LoadResult } from "./rotation-load.js";
import type { UpstreamMessage } from "./rotation-upstream.js";
import { REPO } from "./spawned.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const GATEWAY_MAIN = path.join(REPO, "apps/gateway/dist/main.js");
const READY_DEADLINE_MS = 30_000;
/** The header the gateway injects the rotating secret into. */
const ROTATED_HEADER = "x-rotated";

async function stop(child: ChildProcess, message?: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  if (message !== undefined && child.connected) child.send(message);
  else child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface UpstreamProc {
  url: string;
  pid: number;
  /** Times (ms since the epoch) of the requests that carried a value not seen before. */
  changes: number[];
  /** Resolves at the first change after `count` changes, or undefined after `timeoutMs`. */
  nextChange(count: number, timeoutMs: number): Promise<number | undefined>;
  counts(): Promise<{ requests: number; missing: number; changes: number }>;
  stop(): Promise<void>;
}

export async function startUpstream(): Promise<UpstreamProc> {
  const child = fork(path.join(here, "rotation-upstream.js"), [ROTATED_HEADER], {
    stdio: "inherit",
  });
  const changes: number[] = [];
  let waiters: (() => void)[] = [];
  child.on("message", (m: UpstreamMessage) => {
    if (m.type !== "changed") return;
    changes.push(m.at);
    for (const wake of waiters) wake();
    waiters = [];
  });
  const [first] = (await once(child, "message")) as [UpstreamMessage];
  if (first.type !== "listening") throw new Error("the upstream did not start");
  return {
    url: `http://127.0.0.1:${first.port}`,
    pid: child.pid!,
    changes,
    async nextChange(count, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (changes.length <= count) {
        const left = deadline - performance.now();
        if (left <= 0) return undefined;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return changes[count];
    },
    async counts() {
      const answer = new Promise<UpstreamMessage>((resolve) => {
        const on = (m: UpstreamMessage): void => {
          if (m.type !== "counts") return;
          child.off("message", on);
          resolve(m);
        };
        child.on("message", on);
      });
      child.send("counts");
      const m = await answer;
      if (m.type !== "counts") throw new Error("unreachable");
      return { requests: m.requests, missing: m.missing, changes: m.changes };
    },
    stop: () => stop(child, "close"),
  };
}

export interface GatewayProc {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The gateway with one route, /api → the upstream, injecting the secret as x-rotated. */
export async function startGateway(options: {
  port: number;
  dir: string;
  cofferUrl: string;
  token: string;
  upstream: string;
  secret: string;
}): Promise<GatewayProc> {
  const configFile = path.join(options.dir, "gateway.json");
  await writeFile(
    configFile,
    JSON.stringify({
      listen: { host: "127.0.0.1", port: options.port },
      coffer: { url: options.cofferUrl },
      routes: [
        {
          path: "/api",
          upstream: options.upstream,
          headers: { [ROTATED_HEADER]: `{vault://coffer/${options.secret}}` },
        },
      ],
    }),
  );
  const child = spawn(process.execPath, [GATEWAY_MAIN, configFile], {
    env: { ...process.env, COFFER_TOKEN: options.token, LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const url = `http://127.0.0.1:${options.port}`;
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited: ${stderr.slice(0, 500)}`);
    const res = await fetch(`${url}/api/hello`).catch(() => undefined);
    if (res?.status === 200) break;
    if (performance.now() - started > READY_DEADLINE_MS) {
      child.kill("SIGKILL");
      throw new Error(`the gateway was not ready in time (last status ${res?.status})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { url, pid: child.pid!, stop: () => stop(child) };
}

export interface LoadProc {
  pid: number;
  /** Stops the load and returns what it counted. */
  stop(): Promise<LoadResult>;
}

export async function startLoad(url: string, rate: number): Promise<LoadProc> {
  const child = fork(path.join(here, "rotation-load.js"), [url, String(rate)], {
    stdio: "inherit",
  });
  await once(child, "message");
  return {
    pid: child.pid!,
    async stop() {
      const result = once(child, "message") as Promise<[LoadResult]>;
      child.send("stop");
      const [r] = await result;
      await stop(child);
      return r;
    },
  };
}
