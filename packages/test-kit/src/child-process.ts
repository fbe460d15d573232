/**
 * A node program run as a child process for a test, ready once its output matches every
 * pattern given; its output collected, and its stopping (waiting for the exit). Every child
 * still running is killed when the test process exits, whatever happened to the tests.
 */
import { spawn, type ChildProcess } from "node:child_process";

/** A start that runs initdb or builds a data directory may take long on a busy machine. */
export const START_TIMEOUT_MS = 120_000;

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Kills `child` with the test process if it still runs then (for children spawned elsewhere). */
export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
}

export interface SpawnOptions {
  args?: string[];
  /** The child's whole environment (PATH is added): nothing else leaks in from the test's. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Ready once the output (stdout and stderr) matches each; their first groups are `matches`. */
  ready?: RegExp[];
  /** How long the start may take (default START_TIMEOUT_MS). */
  timeoutMs?: number;
}

export interface NodeChild {
  child: ChildProcess;
  /** The first group of each ready pattern, in order ("" for a pattern without a group). */
  matches: string[];
  /** Everything the child wrote to stdout and stderr so far. */
  output: () => string;
  /** Whether the process is still running. */
  alive: () => boolean;
  /** How it ended ("exit code 1, signal null"), when it did. */
  exit: () => string | undefined;
  /** Sends the signal (default SIGTERM), waits for the exit (SIGKILL after 10 s): its code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Runs `node main args…` and waits until it is ready (or fails with its output). */
export async function spawnNode(main: string, options: SpawnOptions = {}): Promise<NodeChild> {
  const child = spawn(process.execPath, [main, ...(options.args ?? [])], {
    env: { PATH: process.env["PATH"], ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  killOnExit(child);
  let output = "";
  let ended: string | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => {
      ended = `exit code ${code}, signal ${signal}`;
      resolve(code);
    });
  });
  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> => {
    if (ended !== undefined) return exited;
    child.kill(signal);
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await exited;
    clearTimeout(force);
    return code;
  };
  const patterns = options.ready ?? [];
  const timeoutMs = options.timeoutMs ?? START_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    const matches = await new Promise<string[]>((resolve, reject) => {
      const check = (): void => {
        const found = patterns.map((pattern) => pattern.exec(output));
        if (found.every((match) => match !== null)) resolve(found.map((match) => match[1] ?? ""));
      };
      const collect = (chunk: Buffer): void => {
        output += chunk.toString("utf8");
        check();
      };
      child.stdout.on("data", collect);
      child.stderr.on("data", collect);
      void exited.then(() => reject(new Error(`${main} exited while starting:\n${output}`)));
      child.once("error", reject); // not started at all (a missing cwd, say)
      timer = setTimeout(
        () => reject(new Error(`${main} did not start in ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      check();
    });
    return {
      child,
      matches,
      output: () => output,
      alive: () => ended === undefined,
      exit: () => ended,
      stop,
    };
  } catch (error) {
    if (child.pid !== undefined) await stop("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
