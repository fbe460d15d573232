/**
 * The embedded default (issue 12): the server on PGlite, in its own process with product
 * defaults. (b) From spawn to the first 200 of /readyz, on a fresh data directory and on an
 * existing one; (a) its resident memory (VmRSS) at idle with 10,000 secrets, at its peak
 * under load (wrk: reveals, then pages of 100), and at idle again afterwards.
 * Targets: under 200 MB idle at 10,000 secrets; a first start under 3 s on an idle machine.
 *
 * Run: `pnpm --filter @coffer/bench bench:embedded` (after `pnpm build`).
 * COFFER_BENCH_STARTS (default 3), COFFER_BENCH_SECRETS (default 10000), COFFER_BENCH_SECONDS.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fillTo, openInProcess, REVEALED, seed } from "./fill.js";
import { load1, residentMiB } from "./proc-stats.js";
import { machine } from "./report.js";
import { spawnCoffer, type Spawned } from "./spawned.js";
import { hasWrk, runWrk } from "./wrk.js";

const STARTS = Number(process.env["COFFER_BENCH_STARTS"] ?? "3");
const SECRETS = Number(process.env["COFFER_BENCH_SECRETS"] ?? "10000");
const SECONDS = Number(process.env["COFFER_BENCH_SECONDS"] ?? "10");
const PORT = 18120;
const IDLE_MS = 5000;

const mib = async (s: Spawned): Promise<number> => Math.round((await residentMiB(s.pid)) ?? NaN);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function starts(): Promise<void> {
  const fresh: number[] = [];
  const existing: number[] = [];
  const freshCpu: number[] = [];
  const existingCpu: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-embedded-"));
    try {
      const loadBefore = load1();
      const first = await spawnCoffer({ port: PORT, dataDir });
      const rss = await mib(first);
      await first.stop();
      const again = await spawnCoffer({ port: PORT, dataDir });
      await again.stop();
      fresh.push(first.readyMs);
      existing.push(again.readyMs);
      freshCpu.push(first.readyCpuS ?? NaN);
      existingCpu.push(again.readyCpuS ?? NaN);
      console.log(
        `  start ${i + 1}: fresh data directory ${Math.round(first.readyMs)} ms (${first.readyCpuS?.toFixed(2)} s of CPU; RSS at ready ${rss} MiB), existing ${Math.round(again.readyMs)} ms (${again.readyCpuS?.toFixed(2)} s of CPU); load ${loadBefore.toFixed(2)} → ${load1().toFixed(2)}`,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  console.log(
    `| first start, fresh data directory | ${Math.round(median(fresh))} ms median (${Math.round(Math.min(...fresh))}–${Math.round(Math.max(...fresh))}); CPU ${median(freshCpu).toFixed(2)} s | < 3,000 ms on an idle machine: ${median(fresh) < 3000 ? "met" : "**missed**"} |`,
  );
  console.log(
    `| start, existing data directory | ${Math.round(median(existing))} ms median (${Math.round(Math.min(...existing))}–${Math.round(Math.max(...existing))}); CPU ${median(existingCpu).toFixed(2)} s | |`,
  );
}

async function memory(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-embedded-"));
  try {
    const opened = await openInProcess(dataDir, undefined);
    await seed(opened);
    await fillTo(opened.server, SECRETS);
    await opened.server.close();
    const coffer = await spawnCoffer({ port: PORT, dataDir });
    try {
      await sleep(IDLE_MS);
      const idle = await mib(coffer);
      let peak = idle;
      const sampler = setInterval(() => {
        void mib(coffer).then((m) => (peak = Math.max(peak, m)));
      }, 250);
      const env = { COFFER_BENCH_TOKEN: opened.token };
      await runWrk({
        script: "reveal.lua",
        url: coffer.url,
        seconds: SECONDS,
        env: { ...env, COFFER_WRK_SECRET: REVEALED },
      });
      const list = `/trpc/secret.list?input=${encodeURIComponent(JSON.stringify({ limit: 100 }))}`;
      await runWrk({
        script: "get.lua",
        url: coffer.url,
        seconds: SECONDS,
        env: { ...env, COFFER_WRK_PATH: list },
      });
      clearInterval(sampler);
      const loaded = await mib(coffer);
      await sleep(IDLE_MS);
      const after = await mib(coffer);
      console.log(
        `| RSS at idle, ${SECRETS.toLocaleString("en-US")} secrets (${IDLE_MS / 1000} s after ready) | ${idle} MiB | < 200 MB: ${idle * 1.048576 < 200 ? "met" : "**missed**"} |`,
      );
      console.log(
        `| RSS peak under load (wrk 50 connections: reveals ${SECONDS} s, then pages of 100 ${SECONDS} s) | ${peak} MiB (at the end: ${loaded}) | |`,
      );
      console.log(`| RSS at idle again, ${IDLE_MS / 1000} s after the load | ${after} MiB | |`);
      console.log(`(load at the end: ${load1().toFixed(2)})`);
    } finally {
      await coffer.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

console.log(
  `\nCoffer embedded default (PGlite). Machine: ${machine()}; load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
console.log("\n| measure | figure | target |\n|---|---:|---|");
await starts();
if (hasWrk()) await memory();
else console.log("(memory under load SKIPPED: wrk is not installed)");
