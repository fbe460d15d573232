/**
 * Real processes for the app's end-to-end tests, on 127.0.0.1: the Coffer server and the
 * gateway app, each its built `main.js` run as a child process (the echo upstream is
 * ../test-echo-upstream.ts). The gateway package's src/e2e/test-processes.ts has a server
 * helper of its own: test sources are not shipped, so one package cannot import the other's.
 * Every child is killed when the test process exits, whatever happened to the tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** `apps/server/dist/main.js`, found from where the @coffer/server package resolves. */
export const SERVER_MAIN = fileURLToPath(
  new URL("./main.js", import.meta.resolve("@coffer/server")),
);
/** This app's built entry point. */
export const GATEWAY_MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface Child {
  /** What the ready pattern captured (the URL it listens on). */
  url: string;
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Sends the signal (default SIGTERM), waits for the exit (SIGKILL after 10 s): its code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns `node main args…` with exactly `env` and waits until its output matches every pattern
 * (the first group of the first pattern is the URL).
 */
export async function spawnChild(
  main: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp[],
  timeoutMs = 60_000,
): Promise<Child & { matches: string[] }> {
  const child = spawn(process.execPath, [main, ...args], {
    env: { PATH: process.env["PATH"], ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill(signal);
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await exited;
    clearTimeout(force);
    return code;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const matches = await new Promise<string[]>((resolve, reject) => {
      const collect = (chunk: Buffer): void => {
        output += chunk.toString("utf8");
        const found = ready.map((pattern) => pattern.exec(output)?.[1]);
        if (found.every((match) => match !== undefined)) resolve(found);
      };
      child.stdout.on("data", collect);
      child.stderr.on("data", collect);
      void exited.then(() => reject(new Error(`${main} exited while starting:\n${output}`)));
      timer = setTimeout(
        () => reject(new Error(`${main} did not start in ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
    });
    return { url: matches[0]!, matches, child, output: () => output, stop };
  } catch (error) {
    await stop("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The Coffer server on a free port with PGlite in `dataDir`; waits for the admin token. */
export async function spawnServer(
  dataDir: string,
  logLevel = "info",
): Promise<Child & { adminToken: string }> {
  const started = await spawnChild(
    SERVER_MAIN,
    [],
    {
      COFFER_HOST: "127.0.0.1",
      COFFER_PORT: "0",
      COFFER_DATA_DIR: dataDir,
      COFFER_LOG_LEVEL: logLevel,
    },
    [/Coffer is listening on (http:\/\/[^,"\s]+)/, /shown only this once:\s+(\S+)\s/],
  );
  return { ...started, adminToken: started.matches[1]! };
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
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
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
