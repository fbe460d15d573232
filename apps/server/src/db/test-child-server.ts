/**
 * The built server (dist/main.js) as a real child process on PostgreSQL, for tests that break
 * its database connections: a process that dies shows as dead, not as a failed assertion in
 * the test's own process. The child is killed when the test process exits, whatever happened.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface ChildServer {
  url: string;
  adminToken: string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** How it ended, when it did. */
  exit(): string | undefined;
  /** Everything it wrote so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function spawnChildServer(
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<ChildServer> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the server first`);
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  let ended: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      ended = `exit code ${code}, signal ${signal}`;
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (ended !== undefined) return;
    child.kill("SIGTERM");
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(force);
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const [url, adminToken] = await new Promise<[string, string]>((resolve, reject) => {
      const collect = (chunk: Buffer): void => {
        output += chunk.toString("utf8");
        // The log line says it at level info; the first start's hint at any level.
        const url = /(?:Coffer is listening on|--url) (http:\/\/[^,"\s]+)/.exec(output)?.[1];
        const token = /\b(cft_[A-Za-z0-9_-]{20,})/.exec(output)?.[1];
        if (url !== undefined && token !== undefined) resolve([url, token]);
      };
      child.stdout.on("data", collect);
      child.stderr.on("data", collect);
      void exited.then(() => reject(new Error(`the server exited while starting:\n${output}`)));
      timer = setTimeout(
        () => reject(new Error(`the server did not start in ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
    });
    return {
      url,
      adminToken,
      alive: () => ended === undefined,
      exit: () => ended,
      output: () => output,
      stop,
    };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `probe` until it returns something; throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
