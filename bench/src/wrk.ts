/** wrk, the load generator, in a process of its own, with the scripts in bench/wrk/. */
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { REPO } from "./spawned.js";

export const WRK_DIR = path.join(REPO, "bench/wrk");
export const CONNECTIONS = 50;
export const THREADS = 2;

export function hasWrk(): boolean {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

export interface WrkResult {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  connect: number;
  read: number;
  write: number;
  /** Responses that were not 2xx or 3xx. */
  status: number;
  timeout: number;
  /** 200 responses (scripts that look at responses). */
  ok?: number;
  /** Versions of acknowledged puts (put.lua to one secret). */
  acked?: number[];
}

export interface WrkRun {
  script: string;
  url: string;
  seconds: number;
  env?: Record<string, string>;
  connections?: number;
}

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "coffer-wrk-"));
  const out = path.join(dir, "summary.json");
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(
        "wrk",
        [
          `-t${THREADS}`,
          `-c${run.connections ?? CONNECTIONS}`,
          `-d${run.seconds}s`,
          "--timeout",
          "10s",
          "-s",
          path.join(WRK_DIR, run.script),
          run.url,
        ],
        {
          env: { ...process.env, COFFER_WRK_DIR: WRK_DIR, COFFER_WRK_OUT: out, ...run.env },
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, _stdout, stderr) =>
          error ? reject(new Error(`wrk failed: ${stderr.slice(0, 300)}`)) : resolve(),
      );
    });
    return JSON.parse(await readFile(out, "utf8")) as WrkResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const errorsOf = (r: WrkResult): number =>
  r.connect + r.read + r.write + r.status + r.timeout;
