/**
 * Part 2 of the rotation benchmark: DUE secrets due at once, two replicas on one PostgreSQL
 * database (one schema, one data directory: the root key file the first replica wrote). Each
 * secret gets a `random` policy `every 1h` through the API; then the benchmark, owner of the
 * database, makes them all due: the policies' stored `next_due_at` a minute ago, and their
 * anchor 61 minutes ago (the schedule checks the true anchor, the later of the policy's
 * `last_rotated_at`, which `configure` sets, and the current version's time, before it starts
 * a job: `next_due_at` alone only makes it move the due time back to an hour on). Measured until every secret
 * has a succeeded job; then checked: one succeeded job and one new version per secret, one
 * `rotation.succeeded` audit event each, no job started after. The replicas' schedule period
 * is COFFER_JOB_INTERVAL_MS (the product default is 60 s, and a schedule run starts at most
 * 500 jobs); the executor polls every 1 s (fixed in the code), 10 jobs per claim.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createCofferClient } from "@coffer/client";
import { postgresSchema } from "./postgres-schema.js";
import { load1 } from "./proc-stats.js";
import { spawnCoffer, type Spawned } from "./spawned.js";

const DUE = Number(process.env["COFFER_BENCH_DUE"] ?? "1000");
const JOB_INTERVAL_MS = process.env["COFFER_BENCH_JOB_INTERVAL_MS"] ?? "1000";
const PORTS = [18150, 18151];
const CONCURRENCY = 16;
const DEADLINE_MS = Number(process.env["COFFER_BENCH_DUE_DEADLINE_MS"] ?? String(10 * 60_000));
const QUIET_AFTER_MS = 5_000;
const ROTATOR = "bench_random";
const nameOf = (i: number): string => `due_${String(i).padStart(5, "0")}`;

/** coffer_rotation_jobs_ended_total{state="succeeded",mode="rotation"} of one replica. */
async function succeededOn(replica: Spawned): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  let n = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("coffer_rotation_jobs_ended_total{")) continue;
    if (line.includes('state="succeeded"') && line.includes('mode="rotation"')) {
      n += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return n;
}

interface Progress {
  jobs: number;
  succeeded: number;
  failed: number;
}

export async function runDue(): Promise<boolean> {
  const schema = await postgresSchema();
  if ("unreachable" in schema) {
    console.log(`PostgreSQL unreachable (${schema.unreachable}): skipped`);
    return false;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "coffer-rotation-due-"));
  const replicas: Spawned[] = [];
  try {
    const env = { COFFER_JOB_INTERVAL_MS: JOB_INTERVAL_MS };
    for (const port of PORTS) {
      replicas.push(await spawnCoffer({ port, dataDir: dir, databaseUrl: schema.url, env }));
    }
    const token = replicas[0]!.token;
    if (token === undefined) throw new Error("the first replica did not print an admin token");
    const admin = createCofferClient({ url: replicas[0]!.url, token, retries: 0 });
    await admin.rotator.create.mutate({ name: ROTATOR, kind: "random" });
    const fillStarted = performance.now();
    let next = 1;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i <= DUE; i = next++) {
          const secret = nameOf(i);
          await admin.secret.create.mutate({ secret, value: `fake-due-${i}` });
          await admin.rotation.configure.mutate({ secret, rotator: ROTATOR, every: "1h" });
        }
      }),
    );
    const fillMs = performance.now() - fillStarted;
    const q = async <T>(sql: string): Promise<T> => (await schema.admin.query(sql)).rows[0] as T;
    const progress = (): Promise<Progress> =>
      q<Progress>(`SELECT count(*)::int AS jobs,
          count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded,
          count(*) FILTER (WHERE ended_at IS NOT NULL AND state <> 'succeeded')::int AS failed
        FROM rotation_jobs`);
    if ((await progress()).jobs !== 0) throw new Error("jobs ran before the secrets were made due");

    const loadBefore = load1();
    const started = Date.now();
    await schema.admin.query("BEGIN");
    await schema.admin
      .query(`UPDATE secret_versions v SET created_at = now() - interval '61 minutes'
      FROM secrets s WHERE s.id = v.secret_id AND s.name LIKE 'due\\_%'`);
    await schema.admin
      .query(`UPDATE rotation_policies SET next_due_at = now() - interval '1 minute',
      last_rotated_at = now() - interval '61 minutes'`);
    await schema.admin.query("COMMIT");
    let allStartedMs: number | undefined;
    let p: Progress;
    for (;;) {
      p = await progress();
      if (allStartedMs === undefined && p.jobs >= DUE) allStartedMs = Date.now() - started;
      if (p.succeeded + p.failed >= DUE || Date.now() - started > DEADLINE_MS) break;
      await sleep(50);
    }
    const doneMs = Date.now() - started;
    const loadAfter = load1();
    const times = await q<{ first_created: Date; last_ended: Date }>(
      "SELECT min(created_at) AS first_created, max(ended_at) AS last_ended FROM rotation_jobs",
    );
    const executorMs = times.last_ended.getTime() - times.first_created.getTime();
    await sleep(QUIET_AFTER_MS);
    const after = await progress();
    const checks = await q<{
      twice: number;
      not_one_version: number;
      audited: number;
      scheduled: number;
    }>(
      `SELECT
         (SELECT count(*)::int FROM (SELECT secret_id FROM rotation_jobs WHERE state = 'succeeded'
            GROUP BY secret_id HAVING count(*) <> 1) t) AS twice,
         (SELECT count(*)::int FROM secrets WHERE name LIKE 'due\\_%'
            AND (last_version <> 2 OR current_version <> 2)) AS not_one_version,
         (SELECT count(*)::int FROM audit_events WHERE action = 'rotation.succeeded') AS audited,
         (SELECT count(*)::int FROM audit_events WHERE action = 'rotation.run'
            AND details->>'trigger' = 'schedule') AS scheduled`,
    );
    const perReplica = await Promise.all(replicas.map(succeededOn));
    const ok =
      p.succeeded === DUE &&
      p.failed === 0 &&
      after.jobs === DUE &&
      checks.twice === 0 &&
      checks.not_one_version === 0 &&
      checks.audited === DUE &&
      checks.scheduled === DUE;

    console.log(
      `\n### ${DUE.toLocaleString("en-US")} rotations due at once, two replicas on one PostgreSQL database\n`,
    );
    console.log(
      `Replicas started with COFFER_JOB_INTERVAL_MS=${JOB_INTERVAL_MS} (the schedule's period; product default 60000). ` +
        `${DUE} secrets and policies made through the API in ${(fillMs / 1000).toFixed(1)} s. Load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after.\n`,
    );
    console.log("| measure | value |");
    console.log("|---|---:|");
    console.log(
      `| made due → every job started (schedule) | ${allStartedMs === undefined ? "not reached" : `${(allStartedMs / 1000).toFixed(1)} s`} |`,
    );
    console.log(`| made due → all ${DUE} ended | ${(doneMs / 1000).toFixed(1)} s |`);
    console.log(`| jobs/s, from made due | ${(DUE / (doneMs / 1000)).toFixed(1)} |`);
    console.log(
      `| jobs/s, first job created → last job ended | ${(DUE / (executorMs / 1000)).toFixed(1)} |`,
    );
    console.log(`| succeeded / failed | ${p.succeeded} / ${p.failed} |`);
    console.log(`| secrets with ≠ 1 succeeded job | ${checks.twice} |`);
    console.log(
      `| secrets not at exactly version 2 (one new version) | ${checks.not_one_version} |`,
    );
    console.log(
      `| \`rotation.succeeded\` audit events / scheduled \`rotation.run\` events | ${checks.audited} / ${checks.scheduled} |`,
    );
    console.log(
      `| jobs ${QUIET_AFTER_MS / 1000} s after the last ended (none should start) | ${after.jobs} |`,
    );
    console.log(
      `| succeeded jobs ended per replica (its /metrics) | ${perReplica.map((n, i) => `${"AB"[i]}: ${n}`).join(", ")} |`,
    );
    console.log(`\nAll done, none twice: **${ok ? "yes" : "NO"}**.`);
    return ok;
  } finally {
    for (const r of replicas.reverse()) await r.stop().catch(() => undefined);
    await schema.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
