/**
 * Hooks (issue 14), on PostgreSQL (a schema of its own on 127.0.0.1:5432): the Coffer server
 * in a process of its own (`apps/server/dist/main.js`, product defaults but
 * COFFER_HOOK_ALLOW_CIDRS for the local receiver), the receiver in another (hooks-receiver.ts),
 * and this process writing secrets (the load generator).
 * 1. Latency: LATENCY_EVENTS new versions, one at a time, of a secret an automation watches;
 *    from the write's answer (the commit is before it) to the receiver, and from the write's
 *    start (an upper bound). Twice: a hook without templates (the event as body) and a hook
 *    with a `${bench/TOKEN}` header and a templated JSON body (a reveal and its audit event per
 *    delivery). Baseline, same run: this process POSTing the same body to the receiver itself.
 *    Targets: median < 100 ms and p99 < 1 s, commit to receiver.
 * 2. Sustained: TEN hooks on one automation pattern, RATE writes/s for SECONDS s (10 deliveries
 *    per write), without and with secret templates; deliveries/s from the first write to the
 *    last arrival, lost events, events delivered under two ids, latency commit → receiver.
 *    Target: ≥ 500 deliveries/s, none lost, none under two ids.
 *
 * Run: `pnpm --filter @coffer/bench bench:hooks` (after `pnpm build`). Knobs:
 * COFFER_BENCH_HOOK_EVENTS=100, COFFER_BENCH_HOOK_RATE=60, COFFER_BENCH_HOOK_SECONDS=20,
 * COFFER_BENCH_PARTS=latency,sustained, COFFER_BENCH_CPU_PROF=<dir> (the server's CPU profile).
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createCofferClient, type CofferClient } from "@coffer/client";
import type { Arrival, ReceiverMessage } from "./hooks-receiver.js";
import { postgresSchema, redacted, POSTGRES_URL } from "./postgres-schema.js";
import { load1 } from "./proc-stats.js";
import { machine } from "./report.js";
import { spawnCoffer } from "./spawned.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const EVENTS = Number(process.env["COFFER_BENCH_HOOK_EVENTS"] ?? "100");
const RATE = Number(process.env["COFFER_BENCH_HOOK_RATE"] ?? "60");
const SECONDS = Number(process.env["COFFER_BENCH_HOOK_SECONDS"] ?? "20");
const PARTS = (process.env["COFFER_BENCH_PARTS"] ?? "latency,sustained").split(",");
/** A directory for the server's CPU profile (`node --cpu-prof`), read with profile-top.js. */
const PROFILE = process.env["COFFER_BENCH_CPU_PROF"];
const FANOUT = 10;
const PORT = 18150;
const ARRIVAL_TIMEOUT_MS = 15_000;
const DRAIN_TIMEOUT_MS = 120_000;
const TEMPLATED_BODY =
  '{"id": "${event.id}", "uri": "${secret.uri}", "version": "${secret.version}", "auth": "${TOKEN}"}';

const epochMs = (): number => performance.timeOrigin + performance.now();
const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const quantile = (xs: readonly number[], q: number): number => {
  const s = sorted(xs);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (n: number): string => (Math.abs(n) < 10 ? n.toFixed(1) : n.toFixed(0));

/** The receiver process and the arrivals it reported, by `uri#version`. */
class ReceiverProc {
  readonly arrivals: Arrival[] = [];
  #waiters = new Map<string, (a: Arrival) => void>();
  constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on("message", (m: ReceiverMessage) => {
      if (m.type !== "arrivals") return;
      for (const a of m.items) {
        this.arrivals.push(a);
        const key = `${a.path}|${a.uri}#${a.version}`;
        this.#waiters.get(key)?.(a);
        this.#waiters.delete(key);
      }
    });
  }

  static async start(): Promise<ReceiverProc> {
    const child = fork(path.join(here, "hooks-receiver.js"), [], { stdio: "inherit" });
    const [first] = (await once(child, "message")) as [ReceiverMessage];
    if (first.type !== "listening") throw new Error("the receiver did not start");
    return new ReceiverProc(child, `http://127.0.0.1:${first.port}`);
  }

  /** The arrival of `uri#version` at `path`, or undefined after the timeout. */
  next(pathName: string, uri: string, version: number): Promise<Arrival | undefined> {
    const key = `${pathName}|${uri}#${version}`;
    const already = this.arrivals.find((a) => `${a.path}|${a.uri}#${a.version}` === key);
    if (already) return Promise.resolve(already);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key);
        resolve(undefined);
      }, ARRIVAL_TIMEOUT_MS);
      this.#waiters.set(key, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
    });
  }

  async stop(): Promise<void> {
    const exited = once(this.child, "exit");
    this.child.send("close");
    await exited;
  }
}

interface Write {
  uri: string;
  version: number;
  sentAt: number;
  ackAt: number;
}

async function put(admin: CofferClient, secret: string, value: string): Promise<Write> {
  const sentAt = epochMs();
  const meta = await admin.secret.put.mutate({ secret, value });
  return { uri: meta.uri, version: meta.version, sentAt, ackAt: epochMs() };
}

async function hook(
  admin: CofferClient,
  owner: string,
  name: string,
  url: string,
  templated: boolean,
): Promise<void> {
  await admin.hook.create.mutate({
    name,
    owner,
    url,
    ...(templated
      ? {
          headers: { Authorization: `Bearer \${${owner}/TOKEN}` },
          body: TEMPLATED_BODY,
          allowSecrets: [`${owner}/TOKEN`],
        }
      : {}),
  });
}

interface LatencyRow {
  what: string;
  fromCommit: number[];
  fromSend: number[];
  missed: number;
}

async function latency(
  admin: CofferClient,
  receiver: ReceiverProc,
  templated: boolean,
): Promise<LatencyRow> {
  const team = templated ? "lat-t" : "lat-p";
  await admin.team.create.mutate({ name: team });
  await admin.secret.create.mutate({ secret: `${team}/TOKEN`, value: "fake-bench-token-0001" });
  await admin.secret.create.mutate({ secret: `${team}/watched`, value: "fake-watched-0" });
  await hook(admin, team, "h", `${receiver.url}/${team}`, templated);
  await admin.automation.create.mutate({
    name: "a",
    owner: team,
    on: ["secret.version.created"],
    match: `secret://default/${team}/watched`,
    hook: `${team}/h`,
  });
  const row: LatencyRow = {
    what: templated
      ? "a `${TOKEN}` header and a templated body"
      : "no template (the event as body)",
    fromCommit: [],
    fromSend: [],
    missed: 0,
  };
  for (let i = 1; i <= EVENTS + 5; i++) {
    const w = await put(admin, `${team}/watched`, `fake-watched-${i}`);
    const arrived = await receiver.next(`/${team}`, w.uri, w.version);
    if (i <= 5) continue; // warm-up
    if (!arrived) {
      row.missed++;
      continue;
    }
    row.fromCommit.push(arrived.at - w.ackAt);
    row.fromSend.push(arrived.at - w.sentAt);
    await sleep(20);
  }
  return row;
}

/** The HTTP floor: this process POSTing a like body to the receiver, send → arrival. */
async function baseline(receiver: ReceiverProc): Promise<number[]> {
  const out: number[] = [];
  for (let i = 1; i <= EVENTS; i++) {
    const uri = "secret://default/baseline/x";
    const body = JSON.stringify({ id: `evt_${i}`, uri, version: String(i) });
    const sentAt = epochMs();
    const wait = receiver.next("/baseline", uri, i);
    await fetch(`${receiver.url}/baseline`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const arrived = await wait;
    if (arrived) out.push(arrived.at - sentAt);
    await sleep(20);
  }
  return out;
}

interface SustainedRow {
  what: string;
  writes: number;
  expected: number;
  delivered: number;
  lost: number;
  underTwoIds: number;
  duplicates: number;
  perSecond: number;
  fromCommit: number[];
  backlogAtEnd: string;
}

async function sustained(
  admin: CofferClient,
  receiver: ReceiverProc,
  templated: boolean,
  metricsUrl: string,
): Promise<SustainedRow> {
  const team = templated ? "load-t" : "load-p";
  await admin.team.create.mutate({ name: team });
  await admin.secret.create.mutate({ secret: `${team}/TOKEN`, value: "fake-bench-token-0002" });
  const secrets = Array.from({ length: 20 }, (_, i) => `${team}/k${i}`);
  for (const s of secrets) await admin.secret.create.mutate({ secret: s, value: "fake-k-0" });
  for (let h = 0; h < FANOUT; h++) {
    await hook(admin, team, `h${h}`, `${receiver.url}/${team}/h${h}`, templated);
    await admin.automation.create.mutate({
      name: `a${h}`,
      owner: team,
      on: ["secret.version.created"],
      match: `secret://default/${team}/*`,
      hook: `${team}/h${h}`,
    });
  }
  const before = receiver.arrivals.length;
  const writes: Promise<Write>[] = [];
  const started = epochMs();
  const total = RATE * SECONDS;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - epochMs();
    if (wait > 0) await sleep(wait);
    writes.push(put(admin, secrets[i % secrets.length]!, `fake-k-${i + 1}`));
  }
  const done = await Promise.all(writes);
  const expected = done.length * FANOUT;
  const deadline = epochMs() + DRAIN_TIMEOUT_MS;
  const ours = () => receiver.arrivals.slice(before).filter((a) => a.path.startsWith(`/${team}/`));
  while (
    epochMs() < deadline &&
    new Set(ours().map((a) => `${a.path}|${a.event}`)).size < expected
  ) {
    await sleep(100);
  }
  const arrived = ours();
  const backlog = await fetch(metricsUrl)
    .then((r) => r.text())
    .then((t) => /^coffer_hook_deliveries_pending (\S+)$/m.exec(t)?.[1] ?? "?")
    .catch(() => "?");
  const ackOf = new Map(done.map((w) => [`${w.uri}#${w.version}`, w.ackAt]));
  const idsOf = new Map<string, Set<string>>();
  for (const a of arrived) {
    const key = `${a.path}|${a.event}`;
    idsOf.set(key, (idsOf.get(key) ?? new Set()).add(a.webhookId));
  }
  const last = Math.max(...arrived.map((a) => a.at));
  return {
    what: templated ? "with a `${TOKEN}` header and templated body" : "no template",
    writes: done.length,
    expected,
    delivered: idsOf.size,
    lost: expected - idsOf.size,
    underTwoIds: [...idsOf.values()].filter((ids) => ids.size > 1).length,
    duplicates: arrived.length - idsOf.size,
    perSecond: idsOf.size / ((last - started) / 1000),
    fromCommit: arrived
      .map((a) => a.at - (ackOf.get(`${a.uri}#${a.version}`) ?? NaN))
      .filter((x) => !Number.isNaN(x)),
    backlogAtEnd: backlog,
  };
}

async function main(): Promise<void> {
  const schema = await postgresSchema();
  if ("unreachable" in schema) {
    console.log(`PostgreSQL at ${redacted(POSTGRES_URL)} is unreachable (${schema.unreachable})`);
    process.exitCode = 1;
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "coffer-bench-hooks-"));
  const receiver = await ReceiverProc.start();
  const server = await spawnCoffer({
    port: PORT,
    dataDir: dir,
    databaseUrl: schema.url,
    env: { COFFER_HOOK_ALLOW_CIDRS: "127.0.0.1/32" },
    ...(PROFILE !== undefined
      ? { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", path.resolve(PROFILE)] }
      : {}),
  });
  try {
    const admin = createCofferClient({ url: server.url, token: server.token!, retries: 0 });
    const loadBefore = load1();
    console.log(`# Hooks benchmark (issue 14), ${new Date().toISOString()}`);
    console.log(`Machine: ${machine()}; PostgreSQL ${redacted(POSTGRES_URL)}.`);
    if (PARTS.includes("latency")) {
      const floor = await baseline(receiver);
      const rows = [await latency(admin, receiver, false), await latency(admin, receiver, true)];
      console.log(`\n## Latency, ${EVENTS} events each, one at a time (ms)\n`);
      console.log(
        "| hook | median commit → receiver | p99 | worst | median write start → receiver | missed |",
      );
      console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
      for (const r of rows) {
        console.log(
          `| ${r.what} | ${ms(quantile(r.fromCommit, 0.5))} | ${ms(quantile(r.fromCommit, 0.99))} | ${ms(Math.max(...r.fromCommit))} | ${ms(quantile(r.fromSend, 0.5))} | ${r.missed} |`,
        );
      }
      console.log(
        `| baseline: this process POSTs to the receiver | ${ms(quantile(floor, 0.5))} | ${ms(quantile(floor, 0.99))} | ${ms(Math.max(...floor))} | (same) | 0 |`,
      );
    }
    if (PARTS.includes("sustained")) {
      const rows = [
        await sustained(admin, receiver, false, `${server.url}/metrics`),
        await sustained(admin, receiver, true, `${server.url}/metrics`),
      ];
      console.log(
        `\n## Sustained: ${RATE} writes/s for ${SECONDS} s, ${FANOUT} hooks per event (${RATE * FANOUT} deliveries/s offered)\n`,
      );
      console.log(
        "| hooks | writes | deliveries expected | delivered | lost | under two ids | repeats | deliveries/s | median commit → receiver (ms) | p99 | pending after |",
      );
      console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
      for (const r of rows) {
        console.log(
          `| ${r.what} | ${r.writes} | ${r.expected} | ${r.delivered} | ${r.lost} | ${r.underTwoIds} | ${r.duplicates} | ${r.perSecond.toFixed(0)} | ${ms(quantile(r.fromCommit, 0.5))} | ${ms(quantile(r.fromCommit, 0.99))} | ${r.backlogAtEnd} |`,
        );
      }
    }
    console.log(
      `\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${load1().toFixed(2)} after.`,
    );
  } finally {
    await server.stop();
    await receiver.stop();
    await schema.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
