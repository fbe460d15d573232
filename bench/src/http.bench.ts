/**
 * The HTTP benchmark of issue 12: wrk in its own process against servers in their own
 * processes, as in production. An Express 5 hello world is the baseline; the real Coffer server
 * (`apps/server/dist/main.js`, product defaults) runs on PGlite in a fresh data directory and on
 * PostgreSQL in a fresh schema. Each case runs ROUNDS alternating rounds of hello world and
 * case, SECONDS each, after a 1 s warm-up; ratios are the median of the per-round ratios.
 * Beside every figure: the server's CPU per request (/proc/<pid>/stat), PostgreSQL's, and the
 * machine's 1-minute load.
 *
 * Run: `pnpm bench:http` from the repository root (after `pnpm build`), or
 * `COFFER_BENCH_SECONDS=5 COFFER_BENCH_ROUNDS=5 node bench/dist/http.bench.js`.
 * COFFER_BENCH_ENGINES=pglite|postgres, COFFER_BENCH_CASES=whoami,reveal,…,
 * COFFER_BENCH_CPU_PROF=<dir> (a CPU profile of the Coffer process, written when it stops).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createCofferClient } from "@coffer/client";
import { machine } from "./report.js";
import { postgresSchema, POSTGRES_URL, redacted } from "./postgres-schema.js";
import { load1, postgresCpuSeconds, processCpuSeconds } from "./proc-stats.js";
import { spawnCoffer, spawnHello, type Spawned } from "./spawned.js";
import {
  CONNECTIONS,
  errorsOf,
  hasWrk,
  runWrk,
  THREADS,
  type WrkResult,
  type WrkRun,
} from "./wrk.js";

const SECONDS = Number(process.env["COFFER_BENCH_SECONDS"] ?? "5");
const ROUNDS = Number(process.env["COFFER_BENCH_ROUNDS"] ?? "5");
const WARMUP_S = 1;
const SPREAD = 50;
/** COFFER_BENCH_PORT_BASE moves the three ports (for runs beside other benches). */
const PORT_BASE = Number(process.env["COFFER_BENCH_PORT_BASE"] ?? "18100");
const PORTS = { hello: PORT_BASE, pglite: PORT_BASE + 1, postgres: PORT_BASE + 2 };

type Engine = "PGlite" | "PostgreSQL";
type Case = "whoami" | "reveal" | "put" | "putMany" | "create";
const CASES: Record<Case, string> = {
  whoami: "authenticated no-op (GET user.whoami)",
  reveal: "reveal one secret (POST secret.reveal)",
  put: "writes to one secret (POST secret.put)",
  putMany: `writes spread over ${SPREAD} secrets`,
  create: "creates of new secrets (POST secret.create)",
};
/** The issue's targets: a ratio to the hello world, or writes per second. */
const TARGETS: Record<Engine, Partial<Record<Case, { ratio?: number; perSecond?: number }>>> = {
  PostgreSQL: {
    whoami: { ratio: 0.7 },
    reveal: { ratio: 0.5 },
    put: { perSecond: 1000 },
    putMany: { perSecond: 1000 },
    create: { perSecond: 1000 },
  },
  PGlite: { whoami: { ratio: 0.7 }, reveal: { ratio: 0.3 }, put: { perSecond: 500 } },
};

interface Sample {
  /** 2xx responses per second. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** CPU of the server process per 2xx response, µs. */
  serverUs: number | null;
  /** CPU of every process named postgres per 2xx response, µs (other users' included). */
  postgresUs: number | null;
  load: number;
  result: WrkResult;
}

async function sample(server: Spawned, run: WrkRun): Promise<Sample> {
  const cpu0 = await processCpuSeconds(server.pid);
  const pg0 = await postgresCpuSeconds();
  const result = await runWrk(run);
  const cpu1 = await processCpuSeconds(server.pid);
  const pg1 = await postgresCpuSeconds();
  const good = result.ok ?? result.requests - result.status;
  const per = (a: number | null, b: number | null): number | null =>
    a === null || b === null || good === 0 || b < a ? null : ((b - a) * 1e6) / good;
  return {
    perSecond: good / (result.durationUs / 1e6),
    p50Ms: result.p50Us / 1000,
    p99Ms: result.p99Us / 1000,
    errors: errorsOf(result),
    serverUs: per(cpu0, cpu1),
    postgresUs: per(pg0, pg1),
    load: load1(),
    result,
  };
}

interface CaseResult {
  engine: Engine;
  which: Case;
  hello: Sample[];
  runs: Sample[];
  /** Every run of the case, the warm-up included (for the write checks). */
  all: WrkResult[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function runOf(which: Case, url: string, token: string, round: number): WrkRun {
  const env = { COFFER_BENCH_TOKEN: token };
  switch (which) {
    case "whoami":
      return {
        script: "get.lua",
        url,
        seconds: SECONDS,
        env: { ...env, COFFER_WRK_PATH: "/trpc/user.whoami" },
      };
    case "reveal":
      return {
        script: "reveal.lua",
        url,
        seconds: SECONDS,
        env: { ...env, COFFER_WRK_SECRET: "bench_key" },
      };
    case "put":
      return {
        script: "put.lua",
        url,
        seconds: SECONDS,
        env: { ...env, COFFER_WRK_SECRET: "bench_write", COFFER_WRK_SPREAD: "1" },
      };
    case "putMany":
      return {
        script: "put.lua",
        url,
        seconds: SECONDS,
        env: { ...env, COFFER_WRK_SPREAD: String(SPREAD) },
      };
    case "create":
      return {
        script: "create.lua",
        url,
        seconds: SECONDS,
        env: { ...env, COFFER_WRK_RUN: String(round) },
      };
  }
}

async function runCase(
  engine: Engine,
  which: Case,
  hello: Spawned,
  coffer: Spawned,
  token: string,
): Promise<CaseResult> {
  const out: CaseResult = { engine, which, hello: [], runs: [], all: [] };
  const warm = await runWrk({ ...runOf(which, coffer.url, token, 0), seconds: WARMUP_S });
  out.all.push(warm);
  for (let round = 1; round <= ROUNDS; round++) {
    out.hello.push(await sample(hello, { script: "hello.lua", url: hello.url, seconds: SECONDS }));
    const s = await sample(coffer, runOf(which, coffer.url, token, round));
    out.runs.push(s);
    out.all.push(s.result);
    const h = out.hello.at(-1)!;
    console.log(
      `  ${engine} ${which} round ${round}: ${Math.round(s.perSecond)}/s vs hello ${Math.round(h.perSecond)}/s = ${(s.perSecond / h.perSecond).toFixed(3)}×, load ${s.load.toFixed(2)}${s.errors > 0 ? `, ${s.errors} errors` : ""}`,
    );
  }
  return out;
}

/**
 * Writes to one secret: every acknowledged version is distinct and within the versions the
 * run added; the added versions are the acknowledged ones plus those still in flight when wrk
 * stopped (the server completes them after wrk hangs up: at most one per connection per run).
 */
function checkWrites(r: CaseResult, before: number, after: number): string {
  const acked = r.all.flatMap((x) => x.acked ?? []);
  const ok = r.all.reduce((n, x) => n + (x.ok ?? 0), 0);
  const distinct = new Set(acked).size;
  const inRange = acked.every((v) => v > before && v <= after);
  const added = after - before;
  const inFlight = added - acked.length;
  const good =
    distinct === acked.length &&
    acked.length === ok &&
    inRange &&
    inFlight >= 0 &&
    inFlight <= CONNECTIONS * r.all.length;
  if (!good) process.exitCode = 1;
  return (
    `${r.engine} writes to one secret: ${ok} acknowledged (200), ${distinct} distinct versions, ` +
    `all within the ${added} versions added (${before + 1}–${after}): ${inFlight} completed after wrk hung up ` +
    `(at most ${CONNECTIONS} per run × ${r.all.length} runs): ${good ? "ok, none lost, none doubled" : "**FAILED**"}`
  );
}

async function runEngine(
  engine: Engine,
  hello: Spawned,
  databaseUrl?: string,
): Promise<CaseResult[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-http-bench-"));
  const options: Parameters<typeof spawnCoffer>[0] = {
    port: engine === "PGlite" ? PORTS.pglite : PORTS.postgres,
    dataDir,
  };
  if (databaseUrl !== undefined) options.databaseUrl = databaseUrl;
  const profile = process.env["COFFER_BENCH_CPU_PROF"];
  if (profile) options.nodeArgs = ["--cpu-prof", "--cpu-prof-dir", path.resolve(profile)];
  const coffer = await spawnCoffer(options);
  try {
    const token = coffer.token;
    if (token === undefined)
      throw new Error("the server printed no admin token: not a fresh start?");
    console.log(
      `\n${engine}: Coffer ready in ${Math.round(coffer.readyMs)} ms (pid ${coffer.pid})`,
    );
    const client = createCofferClient({ url: coffer.url, token, retries: 0 });
    await client.secret.create.mutate({ secret: "bench_key", value: "fake-bench-value" });
    await client.secret.create.mutate({ secret: "bench_write", value: "fake-bench-value-0" });
    for (let i = 0; i < SPREAD; i++) {
      await client.secret.create.mutate({ secret: `bench_w${i}`, value: "fake-bench-value-0" });
    }
    const revealed = await client.secret.reveal.mutate({ secret: "bench_key" });
    if (revealed.value !== "fake-bench-value") throw new Error("reveal self-check failed");
    const wanted = (process.env["COFFER_BENCH_CASES"] ?? Object.keys(CASES).join(",")).split(",");
    const results: CaseResult[] = [];
    for (const which of Object.keys(CASES) as Case[]) {
      if (!wanted.includes(which)) continue;
      const before = (await client.secret.describe.query({ secret: "bench_write" })).currentVersion;
      const r = await runCase(engine, which, hello, coffer, token);
      results.push(r);
      if (which === "put") {
        const after = (await client.secret.describe.query({ secret: "bench_write" }))
          .currentVersion;
        console.log(checkWrites(r, before, after));
      }
    }
    return results;
  } finally {
    await coffer.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const f0 = (n: number): string => Math.round(n).toLocaleString("en-US");
const f1 = (n: number | null): string => (n === null ? "?" : n.toFixed(1));
const range = (xs: number[], digits: number): string =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

function printTable(engine: Engine, results: readonly CaseResult[]): void {
  if (results.length === 0) return;
  console.log(`\n#### ${engine}\n`);
  console.log(
    "| case | 2xx/s (median) | vs hello world (median, range) | p50 ms | p99 ms | server CPU µs/req | postgres CPU µs/req | load 1 min (range) | errors | target |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---|---:|---|");
  const hello = results.flatMap((r) => r.hello);
  const row = (label: string, xs: Sample[], ratio: string, target: string): void => {
    const pick = (f: (s: Sample) => number | null): number | null => {
      const v = xs.map(f).filter((x): x is number => x !== null);
      return v.length === 0 ? null : median(v);
    };
    console.log(
      `| ${label} | ${f0(median(xs.map((s) => s.perSecond)))} | ${ratio} | ${f1(pick((s) => s.p50Ms))} | ${f1(pick((s) => s.p99Ms))} | ${f0(pick((s) => s.serverUs) ?? NaN)} | ${engine === "PGlite" ? "–" : f0(pick((s) => s.postgresUs) ?? NaN)} | ${range(
        xs.map((s) => s.load),
        2,
      )} | ${xs.reduce((n, s) => n + s.errors, 0)} | ${target} |`,
    );
  };
  row("Express 5 hello world (baseline, every round)", hello, "", "");
  for (const r of results) {
    const ratios = r.runs.map((s, i) => s.perSecond / r.hello[i]!.perSecond);
    const ratio = median(ratios);
    const perSecond = median(r.runs.map((s) => s.perSecond));
    const t = TARGETS[engine][r.which];
    let target = "";
    if (t?.ratio !== undefined)
      target = `≥ ${t.ratio}×: ${ratio >= t.ratio ? "met" : "**missed**"}`;
    if (t?.perSecond !== undefined)
      target = `≥ ${f0(t.perSecond)}/s: ${perSecond >= t.perSecond ? "met" : "**missed**"}`;
    row(CASES[r.which], r.runs, `${ratio.toFixed(3)}× (${range(ratios, 3)})`, target);
  }
}

if (!hasWrk()) {
  console.log(
    "\nSKIPPED the HTTP benchmark: wrk is not installed (Debian/Ubuntu: apt-get install -y wrk).",
  );
  process.exit(0);
}

console.log("\nCoffer HTTP benchmark (wrk)");
console.log(
  `wrk in its own process: ${THREADS} threads, ${CONNECTIONS} connections; ${WARMUP_S} s warm-up, then ${ROUNDS} alternating rounds of ${SECONDS} s (hello world, case).`,
);
console.log(
  `Machine: ${machine()}; load average now ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);

const ENGINES = (process.env["COFFER_BENCH_ENGINES"] ?? "pglite,postgres").split(",");
const hello = await spawnHello(PORTS.hello);
const tables: [Engine, CaseResult[]][] = [];
try {
  if (ENGINES.includes("pglite")) tables.push(["PGlite", await runEngine("PGlite", hello)]);
  if (ENGINES.includes("postgres")) {
    const schema = await postgresSchema();
    if ("unreachable" in schema) {
      console.log(
        `\nPostgreSQL unreachable at ${redacted(POSTGRES_URL)} (${schema.unreachable}): skipped.`,
      );
    } else {
      try {
        tables.push(["PostgreSQL", await runEngine("PostgreSQL", hello, schema.url)]);
      } finally {
        await schema.drop();
      }
    }
  }
} finally {
  await hello.stop();
}
for (const [engine, results] of tables) printTable(engine, results);
console.log(
  "\nserver CPU: the Coffer process's utime+stime over the round ÷ its 2xx responses (for the hello world row: the hello process). " +
    "postgres CPU: every process named postgres on the machine (other users' included) ÷ the same. " +
    "load: /proc/loadavg's 1-minute figure at the end of each round (2 cores: above 2 means queued work).",
);
