/**
 * Scale (issue 12): a server holding 1,000 and then 100,000 secrets, measured through HTTP in
 * its own process (`apps/server/dist/main.js`, product defaults): a page of 100 of
 * `secret.list`, a page of 100 with a prefix (the 100 matching names sort last: the worst place
 * for a scan), and `secret.reveal`, on PGlite and on PostgreSQL. Latency: one client, calls in
 * sequence; throughput: wrk, 50 connections. Also EXPLAIN ANALYZE of the list query at each
 * size. Targets: 100k within 1.2× of 1k; a page of 100 (with or without prefix) under 20 ms.
 *
 * Run: `pnpm --filter @coffer/bench bench:scale` (after `pnpm build`).
 * COFFER_BENCH_ENGINES=pglite|postgres; COFFER_BENCH_SIZES=1000,100000; COFFER_BENCH_SECONDS=5.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { CofferServer } from "@coffer/server";
import { countSecrets, fillTo, openInProcess, REVEALED, seed, TAIL_PREFIX } from "./fill.js";
import { postgresSchema } from "./postgres-schema.js";
import { load1, residentMiB } from "./proc-stats.js";
import { machine } from "./report.js";
import { spawnCoffer } from "./spawned.js";
import { errorsOf, hasWrk, runWrk } from "./wrk.js";

const SECONDS = Number(process.env["COFFER_BENCH_SECONDS"] ?? "5");
const SIZES = (process.env["COFFER_BENCH_SIZES"] ?? "1000,100000").split(",").map(Number);
const ENGINES = (process.env["COFFER_BENCH_ENGINES"] ?? "pglite,postgres").split(",");
const CALLS = 30;
const PORTS = { pglite: 18110, postgres: 18111 };

type Probe = "list" | "prefix" | "reveal";
const PROBES: Record<
  Probe,
  { label: string; method: "GET" | "POST"; path: string; body?: string }
> = {
  list: {
    label: "list, page of 100",
    method: "GET",
    path: `/trpc/secret.list?input=${encodeURIComponent(JSON.stringify({ limit: 100 }))}`,
  },
  prefix: {
    label: `list, page of 100, prefix "${TAIL_PREFIX}" (sorted last)`,
    method: "GET",
    path: `/trpc/secret.list?input=${encodeURIComponent(JSON.stringify({ limit: 100, prefix: TAIL_PREFIX }))}`,
  },
  reveal: {
    label: "reveal one secret",
    method: "POST",
    path: "/trpc/secret.reveal",
    body: JSON.stringify({ secret: REVEALED }),
  },
};

interface Measured {
  engine: string;
  size: number;
  probe: Probe;
  medianMs: number;
  p90Ms: number;
  perSecond: number;
  errors: number;
  load: number;
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** One client, calls in sequence: what one `coffer secret ls` waits. */
async function latency(url: string, token: string, probe: Probe): Promise<number[]> {
  const p = PROBES[probe];
  const times: number[] = [];
  for (let i = 0; i < CALLS + 3; i++) {
    const t0 = performance.now();
    const init: RequestInit = {
      method: p.method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    };
    if (p.body !== undefined) init.body = p.body;
    const res = await fetch(url + p.path, init);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${probe}: ${res.status} ${text.slice(0, 200)}`);
    if (
      probe !== "reveal" &&
      (JSON.parse(text) as { result: { data: { items: unknown[] } } }).result.data.items.length !==
        100
    )
      throw new Error(`${probe}: not a page of 100`);
    if (i >= 3) times.push(performance.now() - t0);
  }
  return sorted(times);
}

/** The list query of SecretReader.list (apps/server/src/services/secret-reader.ts), as the admin sees it. */
const LIST_SQL = `SELECT s.id, s.owner, p.kind AS owner_kind, s.name, s.description, s.protection_key_id,
  s.status, s.deletion_date, s.current_version, s.previous_version, s.pending_version, s.last_version,
  s.max_versions, s.created_at, s.created_by, s.updated_at, s.updated_by
  FROM secrets s JOIN principals p ON p.name = s.owner
  WHERE s.owner = ANY($1) AND s.name LIKE $2 || '%' AND (s.owner, s.name) > ($3, $4)
  ORDER BY s.owner, s.name LIMIT $5`;

async function explain(server: CofferServer, prefix: string): Promise<string> {
  const owners = (await server.deps.db.query<{ name: string }>("SELECT name FROM principals")).map(
    (r) => r.name,
  );
  const rows = await server.deps.db.query<{ "QUERY PLAN": string }>(
    `EXPLAIN (ANALYZE, COSTS OFF) ${LIST_SQL}`,
    [owners, prefix, "", "", 101],
  );
  return rows.map((r) => `    ${r["QUERY PLAN"]}`).join("\n");
}

async function runEngine(engine: "PGlite" | "PostgreSQL"): Promise<Measured[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-scale-"));
  const schema = engine === "PostgreSQL" ? await postgresSchema() : undefined;
  if (schema !== undefined && "unreachable" in schema) {
    console.log(`PostgreSQL unreachable (${schema.unreachable}): skipped`);
    return [];
  }
  const databaseUrl = schema?.url;
  const out: Measured[] = [];
  try {
    let opened = await openInProcess(dataDir, databaseUrl);
    await seed(opened);
    const token = opened.token;
    for (const size of SIZES) {
      const t0 = performance.now();
      await fillTo(opened.server, size);
      const n = await countSecrets(opened.server);
      console.log(
        `\n${engine}: ${n} secrets (filled in ${Math.round(performance.now() - t0)} ms, then VACUUM ANALYZE)`,
      );
      console.log(
        `  EXPLAIN ANALYZE of the list query, no prefix:\n${await explain(opened.server, "")}`,
      );
      console.log(`  with prefix "${TAIL_PREFIX}":\n${await explain(opened.server, TAIL_PREFIX)}`);
      await opened.server.close();
      const options: Parameters<typeof spawnCoffer>[0] = {
        port: engine === "PGlite" ? PORTS.pglite : PORTS.postgres,
        dataDir,
      };
      if (databaseUrl !== undefined) options.databaseUrl = databaseUrl;
      const coffer = await spawnCoffer(options);
      console.log(
        `  a start on this existing database: ready in ${Math.round(coffer.readyMs)} ms (load ${load1().toFixed(2)}); RSS ${Math.round((await residentMiB(coffer.pid)) ?? 0)} MiB`,
      );
      try {
        for (const probe of Object.keys(PROBES) as Probe[]) {
          const times = await latency(coffer.url, token, probe);
          const p = PROBES[probe];
          const env: Record<string, string> = { COFFER_BENCH_TOKEN: token };
          const script = probe === "reveal" ? "reveal.lua" : "get.lua";
          if (probe === "reveal") env["COFFER_WRK_SECRET"] = REVEALED;
          else env["COFFER_WRK_PATH"] = p.path;
          const r = await runWrk({ script, url: coffer.url, seconds: SECONDS, env });
          const m: Measured = {
            engine,
            size,
            probe,
            medianMs: times[Math.floor(times.length / 2)]!,
            p90Ms: times[Math.floor(times.length * 0.9)]!,
            perSecond: (r.requests - r.status) / (r.durationUs / 1e6),
            errors: errorsOf(r),
            load: load1(),
          };
          out.push(m);
          console.log(
            `  ${p.label}: one client ${m.medianMs.toFixed(1)} ms median (p90 ${m.p90Ms.toFixed(1)}); wrk ${Math.round(m.perSecond)}/s, ${m.errors} errors; load ${m.load.toFixed(2)}`,
          );
        }
        console.log(
          `  RSS after the load: ${Math.round((await residentMiB(coffer.pid)) ?? 0)} MiB`,
        );
      } finally {
        await coffer.stop();
      }
      opened = await openInProcess(dataDir, databaseUrl, token);
    }
    await opened.server.close();
  } finally {
    if (schema !== undefined && !("unreachable" in schema)) await schema.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return out;
}

function printTable(all: Measured[]): void {
  console.log(
    `\n| engine | case | ${SIZES.map((s) => `${s.toLocaleString("en-US")}: one client ms (p90) / wrk req/s`).join(" | ")} | large ÷ small (ms) | target | load |`,
  );
  console.log(`|---|---|${SIZES.map(() => "---:|").join("")}---:|---|---|`);
  for (const engine of new Set(all.map((m) => m.engine))) {
    for (const probe of Object.keys(PROBES) as Probe[]) {
      const ms = SIZES.map((s) =>
        all.find((m) => m.engine === engine && m.size === s && m.probe === probe),
      );
      if (ms.some((m) => m === undefined)) continue;
      const first = ms[0]!;
      const last = ms.at(-1)!;
      const ratio = last.medianMs / first.medianMs;
      const targets = [`≤ 1.2×: ${ratio <= 1.2 ? "met" : "**missed**"}`];
      if (probe !== "reveal") targets.push(`< 20 ms: ${last.medianMs < 20 ? "met" : "**missed**"}`);
      console.log(
        `| ${engine} | ${PROBES[probe].label} | ${ms.map((m) => `${m!.medianMs.toFixed(1)} (${m!.p90Ms.toFixed(1)}) / ${Math.round(m!.perSecond)}`).join(" | ")} | ${ratio.toFixed(2)}× | ${targets.join("; ")} | ${ms.map((m) => m!.load.toFixed(1)).join(", ")} |`,
      );
    }
  }
}

if (!hasWrk()) {
  console.log("\nSKIPPED the scale benchmark: wrk is not installed (apt-get install -y wrk).");
  process.exit(0);
}
console.log(
  `\nCoffer scale benchmark. Machine: ${machine()}; load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
const all: Measured[] = [];
if (ENGINES.includes("pglite")) all.push(...(await runEngine("PGlite")));
if (ENGINES.includes("postgres")) all.push(...(await runEngine("PostgreSQL")));
printTable(all);
