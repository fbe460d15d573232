/**
 * Server benchmark (issue 3), autocannon over real HTTP, on PGlite and on PostgreSQL in one run:
 * - reveal of one secret (token auth, ACL, decrypt, audit event committed before the response);
 * - a no-op authenticated procedure of the same server (`user.whoami`: token auth only);
 * - an Express 5 hello world in the same process, as the baseline;
 * - writes of new versions of one secret (`secret.put`), as writes/s.
 * Targets on PostgreSQL: reveal ≥ 0.4× the hello world; ≥ 1,000 writes/s.
 *
 * The load generator runs in this process too, so it competes with the servers (and with
 * PostgreSQL, when local) for the machine's cores: the output says so.
 * PostgreSQL: COFFER_BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/test); the run
 * uses a schema of its own, dropped at the end. Unreachable: PGlite only, said in the output.
 * Run: `pnpm bench` from the repository root.
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createCofferClient } from "@coffer/client";
import { readConfig, startServer, type CofferServer } from "@coffer/server";
import autocannon from "autocannon";
import express from "express";
import { postgresSchema, POSTGRES_URL, redacted } from "./postgres-schema.js";
import { postgresCpuSeconds } from "./proc-stats.js";
import { machine, machineTimes } from "./report.js";

const CONNECTIONS = 50;
const DURATION_S = 5;
const WARMUP_S = 1;
const REVEAL_TARGET = 0.4;

const WRITES_TARGET = 1000;

type Engine = "PGlite" | "PostgreSQL";
type Case = "hello" | "whoami" | "reveal" | "put" | "putMany";
/** Secrets the reference write case spreads its writes over (one per connection). */
const SPREAD = CONNECTIONS;

const CASE_LABELS: Record<Case, string> = {
  hello: "Express 5 hello world (baseline)",
  whoami: "no-op authenticated procedure (GET user.whoami)",
  reveal: "reveal one secret (POST secret.reveal)",
  put: "write a new version (POST secret.put), writes/s",
  putMany: `for reference: writes spread over ${SPREAD} secrets, writes/s`,
};

interface Measured {
  engine: Engine;
  case: Case;
  /** 2xx responses per second over the measured window. */
  okPerSecond: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: string;
  /** CPU time of this process (server, load generator, PGlite) ÷ wall time: 1 = one core. */
  processCpu: number;
  /** The same for every process named postgres (Linux /proc), or null where unknown. */
  postgresCpu: number | null;
  /** Busy cores of the whole machine: this process, PostgreSQL and anything else running. */
  machineCpu: number;
  /** Event-loop utilisation of this process's main thread. */
  elu: number;
}

interface Target {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** A fresh body for every request (writes); default: the same body each time. */
  nextBody?: () => string;
}

/** Busy cores of the machine over `ms`, before anything of ours runs: others' load. */
async function busyCores(ms: number): Promise<number> {
  const m0 = machineTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const m1 = machineTimes();
  return ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length;
}

async function fire(target: Target, durationS: number): Promise<autocannon.Result> {
  const options: autocannon.Options = {
    url: target.url,
    method: target.method,
    connections: CONNECTIONS,
    duration: durationS,
    headers: { "content-type": "application/json", ...target.headers },
  };
  if (target.nextBody !== undefined) {
    const nextBody = target.nextBody;
    options.requests = [{ setupRequest: (request) => ({ ...request, body: nextBody() }) }];
  } else if (target.body !== undefined) {
    options.body = target.body;
  }
  return autocannon(options);
}

/** Warm-up (discarded), then the measured run; the 2xx of both are returned for the checks. */
async function measure(
  engine: Engine,
  which: Case,
  target: Target,
): Promise<{ measured: Measured; ok2xxIncludingWarmup: number }> {
  const warmup = await fire(target, WARMUP_S);
  const pg0 = await postgresCpuSeconds();
  const cpu0 = process.cpuUsage();
  const m0 = machineTimes();
  const elu0 = performance.eventLoopUtilization();
  const wall0 = performance.now();
  const r = await fire(target, DURATION_S);
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const m1 = machineTimes();
  const elu = performance.eventLoopUtilization(elu0);
  const pg1 = await postgresCpuSeconds();
  const codes = Object.entries(r.statusCodeStats ?? {})
    .map(([code, s]) => `${code}×${s.count ?? 0}`)
    .join(", ");
  const measured: Measured = {
    engine,
    case: which,
    okPerSecond: r["2xx"] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: codes,
    processCpu: (cpu.user + cpu.system) / 1000 / wallMs,
    postgresCpu: pg0 === null || pg1 === null ? null : ((pg1 - pg0) * 1000) / wallMs,
    machineCpu: ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length,
    elu: elu.utilization,
  };
  const bad = warmup.non2xx + warmup.errors;
  if (bad > 0) {
    console.log(
      `\n**WARNING: ${engine} ${which} warm-up: ${warmup.non2xx} non-2xx, ${warmup.errors} errors**`,
    );
  }
  if (measured.non2xx + measured.errors > 0) await explainFailure(engine, which, target, measured);
  return { measured, ok2xxIncludingWarmup: warmup["2xx"] + r["2xx"] };
}

/** One more request of the same kind, to show what a failing response said (never a value). */
async function explainFailure(
  engine: Engine,
  which: Case,
  target: Target,
  m: Measured,
): Promise<void> {
  console.log(
    `\n**ERRORS: ${engine} ${which}: ${m.non2xx} non-2xx responses (${m.statusCodes}), ${m.errors} connection errors, ${m.timeouts} timeouts. These figures are not valid.**`,
  );
  try {
    const init: RequestInit = {
      method: target.method,
      headers: { "content-type": "application/json", ...target.headers },
    };
    const body = target.nextBody?.() ?? target.body;
    if (body !== undefined) init.body = body;
    const res = await fetch(target.url, init);
    console.log(`  one more request now: ${res.status} ${(await res.text()).slice(0, 300)}`);
  } catch (error) {
    console.log(`  one more request now failed: ${String(error)}`);
  }
}

async function startHelloWorld(): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.get("/", (_req, res) => {
    res.send("Hello World!");
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function runEngine(
  engine: Engine,
  hello: { url: string },
  databaseUrl: string | undefined,
): Promise<Measured[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-bench-"));
  const env: Record<string, string> = {
    COFFER_PORT: "0",
    COFFER_DATA_DIR: dataDir,
    COFFER_LOG_LEVEL: "silent",
  };
  if (databaseUrl !== undefined) env["DATABASE_URL"] = databaseUrl;
  let server: CofferServer | undefined;
  try {
    server = await startServer(readConfig(env, dataDir), { jobs: false });
    const token = server.adminToken;
    if (token === undefined) throw new Error("the server did not start on an empty database");
    const db = server.deps.db;
    const settings = await Promise.all(
      ["fsync", "synchronous_commit"].map(async (name) => {
        const [row] = await db.query<Record<string, string>>(`SHOW ${name}`);
        return `${name}=${Object.values(row ?? {})[0] ?? "?"}`;
      }),
    );
    console.log(`\n${engine}: server at ${server.url}, ${settings.join(", ")}`);

    const admin = createCofferClient({ url: server.url, token, retries: 0 });
    await admin.secret.create.mutate({ secret: "bench_key", value: "fake-bench-value" });
    await admin.secret.create.mutate({ secret: "bench_write", value: "fake-value-0" });
    const revealed = await admin.secret.reveal.mutate({ secret: "bench_key" });
    if (revealed.value !== "fake-bench-value") throw new Error("reveal self-check failed");
    const auditBefore = await countRevealEvents(server);

    const auth = { authorization: `Bearer ${token}` };
    let n = 0;
    const results: Measured[] = [];
    const hi = await measure(engine, "hello", { url: hello.url, method: "GET" });
    results.push(hi.measured);
    const who = await measure(engine, "whoami", {
      url: `${server.url}/trpc/user.whoami`,
      method: "GET",
      headers: auth,
    });
    results.push(who.measured);
    const reveal = await measure(engine, "reveal", {
      url: `${server.url}/trpc/secret.reveal`,
      method: "POST",
      headers: auth,
      body: JSON.stringify({ secret: "bench_key" }),
    });
    results.push(reveal.measured);
    const put = await measure(engine, "put", {
      url: `${server.url}/trpc/secret.put`,
      method: "POST",
      headers: auth,
      nextBody: () => JSON.stringify({ secret: "bench_write", value: `fake-value-${++n}` }),
    });
    results.push(put.measured);
    // Not the issue's case: the one secret above serialises its writers on its row lock.
    for (let i = 0; i < SPREAD; i++) {
      await admin.secret.create.mutate({ secret: `bench_w${i}`, value: "fake-value-0" });
    }
    const putMany = await measure(engine, "putMany", {
      url: `${server.url}/trpc/secret.put`,
      method: "POST",
      headers: auth,
      nextBody: () =>
        JSON.stringify({ secret: `bench_w${++n % SPREAD}`, value: `fake-value-${n}` }),
    });
    results.push(putMany.measured);

    // Every 2xx reveal left a committed audit event; every 2xx write is a version (none lost).
    // Requests still in flight when autocannon stopped may have completed on the server: ≥.
    const auditEvents = (await countRevealEvents(server)) - auditBefore;
    const described = await admin.secret.describe.query({ secret: "bench_write" });
    const versions = described.currentVersion - 1;
    const auditOk = auditEvents >= reveal.ok2xxIncludingWarmup;
    const versionsOk = versions >= put.ok2xxIncludingWarmup;
    console.log(
      `${engine} checks: ${auditEvents} reveal audit events for ${reveal.ok2xxIncludingWarmup} 2xx reveals (${auditOk ? "ok" : "**MISSING EVENTS**"}); ` +
        `${versions} new versions for ${put.ok2xxIncludingWarmup} 2xx writes (${versionsOk ? "ok" : "**LOST WRITES**"})`,
    );
    if (!auditOk || !versionsOk) process.exitCode = 1;
    return results;
  } finally {
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function countRevealEvents(server: CofferServer): Promise<number> {
  const [row] = await server.deps.db.query<{ n: number | string }>(
    "SELECT count(*)::int AS n FROM audit_events WHERE action = 'secret.reveal' AND result = 'ok'",
  );
  return Number(row?.n ?? 0);
}

const int = (n: number): string => Math.round(n).toLocaleString("en-US");
const pct = (x: number): string => `${Math.round(x * 100)}%`;
const cores = (m: Measured): string => {
  const postgres = m.postgresCpu ?? 0;
  const other = Math.max(0, m.machineCpu - m.processCpu - postgres);
  return `${m.processCpu.toFixed(2)} / ${m.postgresCpu === null ? "?" : postgres.toFixed(2)} / ${other.toFixed(2)}`;
};

function printResults(all: readonly Measured[]): void {
  console.log(`\n### Server over HTTP: ${CONNECTIONS} connections, ${DURATION_S} s per case\n`);
  console.log(`Machine: ${machine()}\n`);
  console.log(
    "| engine | case | 2xx/s | p50 ms | p99 ms | non-2xx | errors | busy cores: this process / postgres / other | event loop busy | vs hello world | vs no-op | target |",
  );
  console.log("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|");
  for (const m of all) {
    const hello = all.find((x) => x.engine === m.engine && x.case === "hello");
    const whoami = all.find((x) => x.engine === m.engine && x.case === "whoami");
    const vsHello =
      hello && m.case !== "hello" ? `${(m.okPerSecond / hello.okPerSecond).toFixed(2)}×` : "";
    const vsNoop =
      whoami && m.case === "reveal" ? `${(m.okPerSecond / whoami.okPerSecond).toFixed(2)}×` : "";
    let target = "";
    const onPostgres = m.engine === "PostgreSQL";
    const valid = m.non2xx + m.errors === 0;
    if (m.case === "reveal" && hello) {
      const met = valid && m.okPerSecond / hello.okPerSecond >= REVEAL_TARGET;
      target = onPostgres
        ? `≥ ${REVEAL_TARGET}× hello world: ${met ? "met" : "MISSED"}`
        : "(target is on PostgreSQL)";
    }
    if (m.case === "put") {
      const met = valid && m.okPerSecond >= WRITES_TARGET;
      target = onPostgres
        ? `≥ ${int(WRITES_TARGET)} writes/s: ${met ? "met" : "MISSED"}`
        : "(target is on PostgreSQL)";
    }
    const label = CASE_LABELS[m.case];
    console.log(
      `| ${m.engine} | ${label} | ${int(m.okPerSecond)} | ${m.p50} | ${m.p99} | ${m.non2xx} | ${m.errors} | ${cores(m)} | ${pct(m.elu)} | ${vsHello} | ${vsNoop} | ${target} |`,
    );
  }
  console.log(
    `\nBusy cores (of ${os.cpus().length}) over each measured window: this process (servers, autocannon, PGlite), ` +
      "processes named postgres (all of them, not only this run's), and the rest of the machine; " +
      'a large "other" means something else was running and disturbed the figures. ' +
      "Event loop busy: the share of time this process's one JavaScript thread was busy.",
  );
  const failed = all.filter((m) => m.non2xx + m.errors > 0);
  if (failed.length > 0) {
    process.exitCode = 1;
    console.log(
      `\n**THIS RUN HAD ERRORS: ${failed.map((m) => `${m.engine} ${m.case} (${m.non2xx} non-2xx, ${m.errors} errors)`).join("; ")}. Its figures are not valid; targets are marked MISSED.**`,
    );
  } else {
    console.log("\nEvery response of every measured case was 2xx; no connection errors.");
  }
}

console.log("\nCoffer server benchmark");
console.log(
  `autocannon, ${CONNECTIONS} connections, pipelining 1, ${WARMUP_S} s warm-up (discarded) then ${DURATION_S} s per case.`,
);
console.log(
  "NOTE: the load generator (autocannon) runs in the same Node process as the servers, on the same event loop, " +
    `and PostgreSQL (if local) runs on the same machine: all compete for its ${os.cpus().length} cores. ` +
    "Ratios measured this way are those of a single process doing both sides.",
);

const idle = await busyCores(2000);
console.log(
  idle > 0.25
    ? `\n**WARNING: the machine was already busy before the run (${idle.toFixed(2)} of ${os.cpus().length} cores in use by other processes). Expect lower and noisier figures; see the "other" column.**`
    : `\nMachine quiet before the run: ${idle.toFixed(2)} cores busy.`,
);

/** `COFFER_BENCH_ENGINES=postgres` (or `pglite`) runs one engine; both by default. */
const ENGINES = (process.env["COFFER_BENCH_ENGINES"] ?? "pglite,postgres").split(",");

const hello = await startHelloWorld();
const results: Measured[] = [];
try {
  if (ENGINES.includes("pglite")) results.push(...(await runEngine("PGlite", hello, undefined)));
  const postgres = ENGINES.includes("postgres")
    ? await postgresSchema()
    : { unreachable: "not asked for" };
  if ("unreachable" in postgres) {
    console.log(
      `\nPostgreSQL is unreachable at ${redacted(POSTGRES_URL)} (${postgres.unreachable}): PGlite only. ` +
        "The issue's targets are on PostgreSQL and are NOT checked by this run.",
    );
  } else {
    try {
      results.push(...(await runEngine("PostgreSQL", hello, postgres.url)));
    } finally {
      await postgres.drop();
    }
  }
} finally {
  await hello.close();
}
printResults(results);
