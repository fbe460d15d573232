/**
 * Gateway benchmark (issue 5), autocannon over real HTTP on 127.0.0.1, against a Coffer server
 * started in this process on PGlite:
 * 1. An Express 5 route whose `coffer()` middleware sets three headers from `coffer` references
 *    with a warm cache, against the same route with the three headers set literally by a tiny
 *    middleware. Target ≥ 0.9×.
 * 2. The standalone gateway (@coffer/gateway-app, started with startGateway) with one route
 *    setting three headers from references, proxying to a node:http hello, against the same
 *    app with the literal values in its config. Target ≥ 0.9×.
 * 3. Time from a rotation (`secret.put` through the typed client) to the first request through
 *    a `coffer()` route that carries the new value, with the change feed on and the default
 *    ttl of 60 s. Target < 1000 ms.
 *
 * Each comparison: a warm-up of both sides (discarded), then alternating rounds; the ratio is
 * the median of the per-round ratios, printed with its range. The load generator runs in this
 * process, on the main thread, with the Express apps and the gateway; the upstream of case 2
 * runs in a worker thread. Values are fake and never printed: routes answer lengths or
 * whether a header equals what the benchmark expects.
 * Run: `pnpm bench` from the repository root, or `node bench/dist/gateway.bench.js` after a build.
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import { createCofferClient, type CofferClient } from "@coffer/client";
import type { GatewayConfig } from "@coffer/core";
import { coffer, errorHandler, type CacheStats, type CofferMiddleware } from "@coffer/gateway";
import {
  checkConfig,
  createLogger as createGatewayLogger,
  startGateway,
  type RunningGateway,
} from "@coffer/gateway-app";
import { createLogger, readConfig, startServer, type CofferServer } from "@coffer/server";
import autocannon from "autocannon";
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import type { UpstreamCounts, UpstreamData } from "./gateway-upstream.js";
import { machine, machineTimes } from "./report.js";

const CONNECTIONS = 50;
const WARMUP_S = 1;
const ROUND_S = 2;
const ROUNDS = 15;
const THROUGHPUT_TARGET = 0.9;
/** A round is "quiet" when the rest of the machine used at most this many cores on both sides. */
const QUIET_CORES = 0.25;
/** Time for a new change-feed subscription to connect and its start's refetch to land. */
const FEED_SETTLE_MS = 1000;
const ROTATIONS = 20;
const POLL_MS = 5;
/** A rotation not seen by then counts as missed (the ttl alone would take up to 60 s). */
const SEEN_TIMEOUT_MS = 5000;
const ROTATION_TARGET_MS = 1000;

/** Three secrets, their fake values, and the header each one goes into. */
const HEADERS = [
  { name: "authorization", secret: "bench_gw_auth", value: "fake-gw-auth-0001", prefix: "Bearer " },
  { name: "x-api-key", secret: "bench_gw_key", value: "fake-gw-key-0002", prefix: "" },
  { name: "x-org-id", secret: "bench_gw_org", value: "fake-gw-org-0003", prefix: "" },
] as const;
const TEMPLATES = Object.fromEntries(
  HEADERS.map((h) => [h.name, `${h.prefix}{vault://coffer/${h.secret}}`]),
);
const LITERALS: Record<string, string> = Object.fromEntries(
  HEADERS.map((h) => [h.name, `${h.prefix}${h.value}`]),
);
const ROTATING = "bench_gw_rotating";
const rotatedValue = (i: number): string => `fake-rotated-${String(i).padStart(4, "0")}`;

// ---------------------------------------------------------------------------------------------
// Measuring

interface Run {
  okPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU time of this process (all threads) ÷ wall time: 1 = one core. */
  processCpu: number;
  /** Busy cores of the machine outside this process: others' load, which disturbs a run. */
  otherCpu: number;
}

async function busyCores(ms: number): Promise<number> {
  const m0 = machineTimes();
  await sleep(ms);
  const m1 = machineTimes();
  return ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length;
}

async function fire(url: string, durationS: number): Promise<Run> {
  const cpu0 = process.cpuUsage();
  const m0 = machineTimes();
  const wall0 = performance.now();
  const r = await autocannon({ url, connections: CONNECTIONS, duration: durationS });
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const m1 = machineTimes();
  const processCpu = (cpu.user + cpu.system) / 1000 / wallMs;
  const machineCpu = ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length;
  return {
    okPerSecond: r["2xx"] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    processCpu,
    otherCpu: Math.max(0, machineCpu - processCpu),
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Nearest-rank percentile. */
const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
};

interface Side {
  label: string;
  url: string;
}

interface Comparison {
  title: string;
  baseline: Side;
  candidate: Side;
  baselineRuns: Run[];
  candidateRuns: Run[];
  ratios: number[];
}

/** Both sides warmed up (discarded), then ROUNDS rounds, the order alternating. */
async function compare(title: string, baseline: Side, candidate: Side): Promise<Comparison> {
  await fire(baseline.url, WARMUP_S);
  await fire(candidate.url, WARMUP_S);
  const c: Comparison = {
    title,
    baseline,
    candidate,
    baselineRuns: [],
    candidateRuns: [],
    ratios: [],
  };
  for (let round = 0; round < ROUNDS; round++) {
    let b: Run;
    let k: Run;
    if (round % 2 === 0) {
      b = await fire(baseline.url, ROUND_S);
      k = await fire(candidate.url, ROUND_S);
    } else {
      k = await fire(candidate.url, ROUND_S);
      b = await fire(baseline.url, ROUND_S);
    }
    c.baselineRuns.push(b);
    c.candidateRuns.push(k);
    c.ratios.push(k.okPerSecond / b.okPerSecond);
  }
  return c;
}

/** API calls the Coffer server has counted (coffer_requests_total), all and batch reveals. */
async function apiCalls(server: CofferServer): Promise<{ all: number; batchReveal: number }> {
  const metric = await server.deps.metrics.requests.get();
  let all = 0;
  let batchReveal = 0;
  for (const v of metric.values) {
    all += v.value;
    if (v.labels.procedure === "secret.batchReveal") batchReveal += v.value;
  }
  return { all, batchReveal };
}

type Calls = Awaited<ReturnType<typeof apiCalls>>;

/** What the Coffer server and the cache did during a measurement (counts only, no value). */
function serverUse(calls: [Calls, Calls], stats: [CacheStats, CacheStats]): string {
  const [c0, c1] = calls;
  const [s0, s1] = stats;
  const refreshes = s1.refreshes - s0.refreshes;
  const misses = s1.misses - s0.misses;
  return (
    `the Coffer server counted ${c1.all - c0.all} API call(s), ${c1.batchReveal - c0.batchReveal} of them secret.batchReveal; ` +
    `the cache: ${int(s1.hits - s0.hits)} hits, ${misses} misses${misses === 0 ? " (no request waited for the server)" : ""}, ` +
    `${refreshes} background refreshes` +
    (refreshes > 0
      ? " (refresh ahead: a hit past 80% of the 60 s ttl refetches the references in one call, without making the request wait)"
      : "")
  );
}

// ---------------------------------------------------------------------------------------------
// Servers

async function listening(server: Server): Promise<string> {
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
  }
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Responses to the benchmark routes, counted: every one must carry the three headers. */
interface Checked {
  requests: number;
  carried: number;
}

/** An Express 5 app with one route: `inject` sets the headers, the handler answers a length. */
async function startRouteApp(
  inject: RequestHandler,
): Promise<{ url: string; checked: Checked; close(): Promise<void> }> {
  const checked: Checked = { requests: 0, carried: 0 };
  const app = express();
  app.disable("x-powered-by");
  app.get("/", inject, (req: Request, res: Response) => {
    checked.requests++;
    let all = true;
    for (const [name, value] of Object.entries(LITERALS)) {
      if (req.headers[name] !== value) all = false;
    }
    if (all) checked.carried++;
    res.json({ authorizationLength: req.headers.authorization?.length ?? 0 });
  });
  app.use(errorHandler());
  const server = app.listen(0, "127.0.0.1");
  const url = await listening(server);
  return { url: `${url}/`, checked, close: () => closeServer(server) };
}

/** The tiny middleware of the baseline: the same three headers, written literally. */
function literalHeaders(req: Request, _res: Response, next: NextFunction): void {
  req.headers["authorization"] = LITERALS["authorization"];
  req.headers["x-api-key"] = LITERALS["x-api-key"];
  req.headers["x-org-id"] = LITERALS["x-org-id"];
  next();
}

interface Upstream {
  url: string;
  counts(): Promise<UpstreamCounts>;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const data: UpstreamData = { expected: LITERALS };
  const worker = new Worker(new URL("./gateway-upstream.js", import.meta.url), {
    workerData: data,
  });
  const next = <T>(): Promise<T> =>
    new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  const { port } = await next<{ port: number }>();
  return {
    url: `http://127.0.0.1:${port}`,
    counts() {
      const answer = next<UpstreamCounts>();
      worker.postMessage("counts");
      return answer;
    },
    async close() {
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      worker.postMessage("close");
      await Promise.race([exited, sleep(2000, undefined, { ref: false })]);
      await worker.terminate();
    },
  };
}

async function startGatewayWith(
  headers: Record<string, string>,
  cofferUrl: string,
  upstream: string,
  token: string,
): Promise<RunningGateway> {
  const data: GatewayConfig = {
    listen: { host: "127.0.0.1", port: 0 },
    // Both configs name the Coffer server, so that they differ in the templates only.
    coffer: { url: cofferUrl },
    routes: [{ path: "/api", upstream, headers }],
  };
  // Checked as main.ts checks a file: literal templates are valid config.
  const config = checkConfig(data, "bench gateway config", process.cwd());
  return startGateway(config, { logger: createGatewayLogger("silent"), cofferToken: token });
}

// ---------------------------------------------------------------------------------------------
// Case 3: rotation → first request carrying the new value

interface Rotation {
  /** From the put being sent to the response of the first request carrying the new value. */
  fromSent: number;
  /** The same, from the put's response (the rotation committed and acknowledged). */
  fromAcked: number;
  polls: number;
  seen: boolean;
}

async function rotate(admin: CofferClient, url: string, i: number): Promise<Rotation> {
  const value = rotatedValue(i);
  const sent = performance.now();
  await admin.secret.put.mutate({ secret: ROTATING, value });
  const acked = performance.now();
  let polls = 0;
  for (;;) {
    // The route answers whether the injected header equals x-expect: no value comes back.
    const res = await fetch(url, { headers: { "x-expect": value } });
    const body = (await res.json()) as { match?: unknown };
    polls++;
    if (res.status !== 200) throw new Error(`rotation route answered ${res.status}`);
    const now = performance.now();
    if (body.match === true) {
      return { fromSent: now - sent, fromAcked: now - acked, polls, seen: true };
    }
    if (now - sent > SEEN_TIMEOUT_MS) {
      return { fromSent: now - sent, fromAcked: now - acked, polls, seen: false };
    }
    await sleep(POLL_MS);
  }
}

// ---------------------------------------------------------------------------------------------
// Output

const int = (n: number): string => Math.round(n).toLocaleString("en-US");
const ms = (n: number): string => (n < 10 ? n.toFixed(1) : n.toFixed(0));
/** autocannon's latencies are whole milliseconds; a median of two may end in .5. */
const lat = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function printComparison(c: Comparison, target: number, valid: boolean): void {
  const ratio = median(c.ratios);
  const met = valid && ratio >= target;
  const row = (side: Side, runs: readonly Run[], last: string): void => {
    const cores = `${median(runs.map((r) => r.processCpu)).toFixed(2)} / ${Math.max(...runs.map((r) => r.otherCpu)).toFixed(2)}`;
    console.log(
      `| ${c.title} | ${side.label} | ${int(median(runs.map((r) => r.okPerSecond)))} | ${lat(median(runs.map((r) => r.p50)))} | ${lat(median(runs.map((r) => r.p99)))} | ${cores} | ${last}`,
    );
  };
  row(c.baseline, c.baselineRuns, " | | |");
  row(
    c.candidate,
    c.candidateRuns,
    ` ${ratio.toFixed(2)}× | ${Math.min(...c.ratios).toFixed(2)}–${Math.max(...c.ratios).toFixed(2)} | ≥ ${target}×: ${met ? "met" : "MISSED"} |`,
  );
}

const failures = (runs: readonly Run[]): number =>
  runs.reduce((n, r) => n + r.non2xx + r.errors, 0);

// ---------------------------------------------------------------------------------------------
// Main

console.log("\nCoffer gateway benchmark");
console.log(
  `autocannon, ${CONNECTIONS} connections, pipelining 1; per comparison ${WARMUP_S} s warm-up of each side (discarded), ` +
    `then ${ROUNDS} alternating rounds of ${ROUND_S} s per side; ratio = median of the per-round ratios.`,
);
console.log(
  "NOTE: the load generator (autocannon) runs in this Node process, on the same thread as the Express apps, " +
    `the gateway and the Coffer server (PGlite); the upstream of case 2 runs in a worker thread. All share the machine's ${os.cpus().length} cores.`,
);
const idle = await busyCores(2000);
console.log(
  idle > 0.25
    ? `\n**WARNING: the machine was already busy before the run (${idle.toFixed(2)} of ${os.cpus().length} cores in use by other processes). Expect lower and noisier figures; see the "other" column.**`
    : `\nMachine quiet before the run: ${idle.toFixed(2)} cores busy.`,
);

const dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-gateway-bench-"));
const cleanups: (() => Promise<unknown>)[] = [];
let problems = 0;
try {
  const server = await startServer(
    readConfig({ COFFER_PORT: "0", COFFER_DATA_DIR: dataDir }, dataDir),
    { jobs: false, log: createLogger({ logLevel: "silent" }) },
  );
  cleanups.push(() => server.close());
  const token = server.adminToken;
  if (token === undefined) throw new Error("the server did not start on an empty database");
  const admin = createCofferClient({ url: server.url, token, retries: 0 });
  for (const h of HEADERS) await admin.secret.create.mutate({ secret: h.secret, value: h.value });
  await admin.secret.create.mutate({ secret: ROTATING, value: rotatedValue(0) });
  console.log(`\nCoffer server (PGlite) at ${server.url}; 4 secrets created.`);

  // Case 1: Express route, coffer() with a warm cache vs literal headers.
  const middleware: CofferMiddleware = coffer({
    coffer: { url: server.url, token },
    headers: TEMPLATES,
  });
  cleanups.push(() => middleware.close());
  const routeCoffer = await startRouteApp(middleware);
  cleanups.push(() => routeCoffer.close());
  const routeLiteral = await startRouteApp(literalHeaders);
  cleanups.push(() => routeLiteral.close());
  // Fill the cache, and check both routes answer the same.
  const [a, b] = await Promise.all(
    [routeCoffer.url, routeLiteral.url].map(async (url) => (await fetch(url)).text()),
  );
  if (a !== b) throw new Error("the coffer() route and the literal route answer differently");
  // The first resolve subscribed to the change feed; once connected, the feed's start refetches
  // every cached reference (one call). Let that land before counting.
  await sleep(FEED_SETTLE_MS);
  const calls1 = await apiCalls(server);
  const stats1 = middleware.stats();
  const express1 = await compare(
    "1. Express 5 route, 3 headers",
    { label: "literal headers (baseline)", url: routeLiteral.url },
    { label: "`coffer()`, 3 references, warm cache", url: routeCoffer.url },
  );
  const calls1After = await apiCalls(server);
  const stats1After = middleware.stats();

  // Case 2: the standalone gateway, references vs literal values in its config.
  const upstream = await startUpstream();
  cleanups.push(() => upstream.close());
  const gwRefs = await startGatewayWith(TEMPLATES, server.url, upstream.url, token);
  cleanups.push(() => gwRefs.close(1000));
  const gwLiteral = await startGatewayWith(LITERALS, server.url, upstream.url, token);
  cleanups.push(() => gwLiteral.close(1000));
  for (const gw of [gwRefs, gwLiteral]) {
    const res = await fetch(`${gw.url}/api/hello`);
    if (res.status !== 200 || (await res.text()) !== "hello") {
      throw new Error(`the gateway answered ${res.status}`);
    }
  }
  const up0 = await upstream.counts();
  if (up0.carried !== 2) throw new Error("the upstream did not get the three headers");
  await sleep(FEED_SETTLE_MS);
  const calls2 = await apiCalls(server);
  const stats2 = gwRefs.app.resolver.stats();
  const gateway2 = await compare(
    "2. standalone gateway, 3 headers",
    { label: "same app, literal values in config (baseline)", url: `${gwLiteral.url}/api/hello` },
    { label: "3 references, warm cache", url: `${gwRefs.url}/api/hello` },
  );
  const calls2After = await apiCalls(server);
  const stats2After = gwRefs.app.resolver.stats();
  const up1 = await upstream.counts();
  // For reference: the upstream without any proxy (not the issue's comparison).
  await fire(upstream.url, WARMUP_S);
  const direct = await fire(upstream.url, ROUND_S);

  // Case 3: rotation latency through a coffer() route with the change feed.
  const rotating = coffer({
    coffer: { url: server.url, token },
    headers: { "x-rotating": `{vault://coffer/${ROTATING}}` },
  });
  cleanups.push(() => rotating.close());
  const rotApp = express();
  rotApp.get("/", rotating, (req: Request, res: Response) => {
    res.json({ match: req.headers["x-rotating"] === req.headers["x-expect"] });
  });
  rotApp.use(errorHandler());
  const rotServer = rotApp.listen(0, "127.0.0.1");
  const rotUrl = `${await listening(rotServer)}/`;
  cleanups.push(() => closeServer(rotServer));
  // The first request fills the cache and starts the feed subscription; let it connect.
  const first = (await (
    await fetch(rotUrl, { headers: { "x-expect": rotatedValue(0) } })
  ).json()) as {
    match?: unknown;
  };
  if (first.match !== true) throw new Error("the rotation route does not carry the first value");
  await sleep(FEED_SETTLE_MS);
  await rotate(admin, rotUrl, 1); // warm-up rotation, not counted
  const calls3 = await apiCalls(server);
  const rotations: Rotation[] = [];
  for (let i = 2; i < ROTATIONS + 2; i++) {
    rotations.push(await rotate(admin, rotUrl, i));
    await sleep(50);
  }
  const calls3After = await apiCalls(server);

  // ------------------------------------------------------------------------------------------
  console.log("\n### Gateway (issue 5)\n");
  console.log(`Machine: ${machine()}\n`);
  console.log(
    "| case | side | 2xx/s (median) | p50 ms | p99 ms | busy cores: this process / other (max) | ratio (median) | range over rounds | target |",
  );
  console.log("|---|---|---:|---:|---:|---|---:|---|---|");
  const valid1 =
    failures(express1.baselineRuns) + failures(express1.candidateRuns) === 0 &&
    routeCoffer.checked.carried === routeCoffer.checked.requests &&
    routeLiteral.checked.carried === routeLiteral.checked.requests;
  const valid2 =
    failures(gateway2.baselineRuns) + failures(gateway2.candidateRuns) === 0 &&
    up1.carried === up1.requests;
  printComparison(express1, THROUGHPUT_TARGET, valid1);
  printComparison(gateway2, THROUGHPUT_TARGET, valid2);
  console.log(
    `| for reference | the upstream alone, no proxy (one ${ROUND_S} s run) | ${int(direct.okPerSecond)} | ${lat(direct.p50)} | ${lat(direct.p99)} | ${direct.processCpu.toFixed(2)} / ${direct.otherCpu.toFixed(2)} | | | |`,
  );
  for (const c of [express1, gateway2]) {
    const quiet = c.ratios.filter(
      (_r, i) => Math.max(c.baselineRuns[i]!.otherCpu, c.candidateRuns[i]!.otherCpu) <= QUIET_CORES,
    );
    console.log(
      `\n${c.title}: rounds where the rest of the machine used at most ${QUIET_CORES} cores on both sides: ` +
        (quiet.length === 0
          ? "none."
          : `${quiet.length} of ${ROUNDS}, median ratio ${median(quiet).toFixed(2)}× (range ${Math.min(...quiet).toFixed(2)}–${Math.max(...quiet).toFixed(2)}).`),
    );
    console.log(
      `${c.title}: per-round ratios ${c.ratios.map((r) => r.toFixed(2)).join(", ")}; other cores per round ${c.baselineRuns.map((r, i) => `${r.otherCpu.toFixed(2)}/${c.candidateRuns[i]!.otherCpu.toFixed(2)}`).join(", ")} (baseline/candidate).`,
    );
  }
  console.log(
    "\np50/p99: the median over the rounds of each run's percentile. Busy cores: CPU of this process " +
      "(all threads: autocannon, apps, gateway, Coffer server, the upstream worker) and, as the largest value " +
      'over the rounds, of the rest of the machine; a large "other" means something else disturbed the run.',
  );

  console.log(
    `\nCase 1 checks: ${int(routeCoffer.checked.requests)} requests to the coffer() route, ${int(routeCoffer.checked.carried)} carried the three expected headers; ` +
      `literal route ${int(routeLiteral.checked.requests)} / ${int(routeLiteral.checked.carried)}. ` +
      `During the warm-up and rounds ${serverUse([calls1, calls1After], [stats1, stats1After])}.`,
  );
  console.log(
    `Case 2 checks: the upstream got ${int(up1.requests - up0.requests)} requests from both gateways, ` +
      `${int(up1.carried - up0.carried)} with the three expected headers. ` +
      `During the warm-up and rounds ${serverUse([calls2, calls2After], [stats2, stats2After])}.`,
  );
  if (!valid1 || !valid2) {
    problems++;
    console.log(
      `\n**ERRORS: non-2xx responses, connection errors or requests without the expected headers ` +
        `(case 1: ${failures(express1.baselineRuns)} + ${failures(express1.candidateRuns)} failed; ` +
        `case 2: ${failures(gateway2.baselineRuns)} + ${failures(gateway2.candidateRuns)} failed). Those figures are not valid.**`,
    );
  }

  const seen = rotations.filter((r) => r.seen);
  const fromSent = rotations.map((r) => r.fromSent);
  const fromAcked = rotations.map((r) => r.fromAcked);
  const rotationMet =
    seen.length === rotations.length && Math.max(...fromSent) < ROTATION_TARGET_MS;
  console.log(
    `\n| case 3: rotation → first request carrying the new value (${ROTATIONS} rotations) | median ms | p95 ms | max ms | min ms | target |`,
  );
  console.log("|---|---:|---:|---:|---:|---|");
  console.log(
    `| from the put sent (includes the put's own round trip) | ${ms(median(fromSent))} | ${ms(percentile(fromSent, 95))} | ${ms(Math.max(...fromSent))} | ${ms(Math.min(...fromSent))} | < ${int(ROTATION_TARGET_MS)} ms, every rotation: ${rotationMet ? "met" : "MISSED"} |`,
  );
  console.log(
    `| from the put acknowledged | ${ms(median(fromAcked))} | ${ms(percentile(fromAcked, 95))} | ${ms(Math.max(...fromAcked))} | ${ms(Math.min(...fromAcked))} | |`,
  );
  console.log(
    `\nCase 3: ${seen.length} of ${rotations.length} rotations seen within ${SEEN_TIMEOUT_MS} ms; ` +
      `polls per rotation (every ~${POLL_MS} ms after the put returned): median ${median(rotations.map((r) => r.polls))}, max ${Math.max(...rotations.map((r) => r.polls))}. ` +
      `The Coffer server counted ${calls3After.all - calls3.all} API calls for ${ROTATIONS} rotations ` +
      `(${calls3After.batchReveal - calls3.batchReveal} secret.batchReveal: the refetches the feed triggered). ` +
      "Cache ttl 60 s (the default): without the feed a new value would wait for the ttl. One warm-up rotation before, not counted.",
  );
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
}
if (problems > 0) process.exitCode = 1;
