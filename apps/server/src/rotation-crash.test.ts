/**
 * Rotation jobs whose replica is killed (SIGKILL) in the middle of a step (SPEC §11, issue 13):
 * another replica, or the same one restarted, takes the job over once its lease expires,
 * replays the step, and finishes the job or fails it cleanly, with exactly one promotion.
 *
 * The servers are real processes (dist/main.js, its rotation executor on) with a 3 s lease
 * (COFFER_ROTATION_LEASE_MS). The secret rotates through a driver-mode webhook rotator whose
 * receiver runs here and keeps the "target system's" value; it holds the chosen call open
 * (after doing its work: the target is ahead of what the job recorded) until the replica that
 * made it is dead.
 * - PostgreSQL (COFFER_TEST_DATABASE_URL; skipped without it): replicas A and B on one schema.
 *   B is paused (SIGSTOP) so that A takes the job, and resumed (SIGCONT) once A is killed.
 *   Kills: during `create` and during `finish` (A blocked inside the step's transaction by a
 *   lock this test holds), and while A's `set`, `test`, or `revert` (after a failing test)
 *   call is open.
 * - PGlite (always): one replica killed while its `set`, `test` or `revert` call is open, and
 *   restarted on its data directory. (The database is inside the child there: this test can
 *   hold no lock in it, so `create` and `finish`, which talk to nothing outside, are killed on
 *   PostgreSQL only.)
 * After each: the job succeeded (or failed, for the failing test), its step log shows the
 * takeover (`replayed`), one `rotation.succeeded` (or `rotation.failed`) audit event, the
 * secret's value is the target's, no version is left pending and the replay made no second
 * one, and the dead replica's job token was refused once the survivor called.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import {
  eventually,
  spawnCoffer,
  tempDir,
  type CofferProcess,
  type TempDir,
} from "@coffer/test-kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killed } from "./test-processes.js";
import { httpCaller, httpRefusal, POSTGRES_URL } from "./test-support.js";
import { startReceiver, type Receiver } from "./webhooks/test-receiver.js";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
// Children log at info: a start that is not the first says where it listens only there.

/** The children's environment: a short lease, the receiver on loopback allowed. */
const CHILD_ENV = { COFFER_ROTATION_LEASE_MS: "3000", COFFER_HOOK_ALLOW_CIDRS: "127.0.0.1/32" };

interface Call {
  type: string;
  data: { job: string; secret: string; token: string };
}

/**
 * A driver-mode receiver and the target system it keeps: reads the values with each call's job
 * token (from `api`, a live replica), sets, tests and reverts the target, and holds the call
 * of type `hold` open once, after doing its work.
 */
class Target {
  value = "fake-initial";
  calls: string[] = [];
  /** Where the receiver calls back: a replica that is alive. */
  api = "";
  hold: string | undefined;
  failTests = false;
  /** The token of the held call; then what the API said to it at the survivor's first call. */
  stale: string | undefined;
  staleRefused: string | undefined;
  #held: (() => void) | undefined;

  /** A new scenario: the target back at its initial value, the call to hold. */
  reset(hold: string | undefined, failTests = false): Promise<void> {
    this.value = "fake-initial";
    this.calls = [];
    this.hold = hold;
    this.failTests = failTests;
    this.stale = undefined;
    this.staleRefused = undefined;
    return new Promise((resolve) => (this.#held = resolve));
  }

  async answer(res: ServerResponse, call: Call): Promise<void> {
    this.calls.push(call.type);
    if (this.stale !== undefined && this.staleRefused === undefined) {
      const refused = await httpRefusal(
        httpCaller(this.api, this.stale).rotation.job.start.mutate(),
      );
      this.staleRefused = refused.errorCode;
    }
    if (call.type === "rotation.test" && this.failTests) {
      res.writeHead(500).end();
      return;
    }
    const values = await httpCaller(this.api, call.data.token).rotation.job.start.mutate();
    if (call.type === "rotation.set") this.value = values.pending!;
    if (call.type === "rotation.revert") this.value = values.current;
    if (call.type === "rotation.test" && this.value !== values.pending) {
      res.writeHead(500).end();
      return;
    }
    if (call.type === this.hold && this.stale === undefined) {
      // Never answered: its replica is killed meanwhile.
      this.stale = call.data.token;
      this.#held?.();
      return;
    }
    res.writeHead(204).end();
  }
}

/** Replicas on one database: the one that runs the next job, and how another takes over. */
interface Cluster {
  token: string;
  runner(): CofferProcess;
  /** Before the job runs: only the runner may claim it. */
  pause(): Promise<void>;
  /** After the runner was killed: the replica that takes over (alive, claiming). */
  takeOver(): Promise<CofferProcess>;
  close(): Promise<void>;
}

interface Scenario {
  name: string;
  /** The call held open until its replica is killed. */
  hold?: string;
  failTests?: boolean;
  /** Instead: a lock that blocks the runner inside the step's transaction (PostgreSQL only). */
  block?: (secret: string) => Promise<Blocker>;
  state: "succeeded" | "failed";
  /** The step the job was at when its replica died (its log replays it). */
  step: string;
  calls: string[];
}

interface Blocker {
  /** Resolves once the runner waits on the lock (inside the step's transaction). */
  waiting: Promise<void>;
  release(): Promise<void>;
}

/** Runs `scenario` on `cluster`: the job, the kill, the takeover, and every check after. */
async function crash(
  cluster: Cluster,
  target: Target,
  receiver: Receiver,
  scenario: Scenario,
): Promise<void> {
  const secret = `crash_${scenario.name}`;
  const runner = cluster.runner();
  target.api = runner.url;
  const admin = httpCaller(runner.url, cluster.token);
  await admin.secret.create.mutate({ secret, value: "fake-initial" });
  await admin.rotator.create.mutate({
    name: `hook_${secret}`,
    kind: "webhook",
    webhook: { url: `${receiver.url}/rotate/${secret}`, mode: "driver" },
  });
  await admin.rotation.configure.mutate({
    secret,
    rotator: `hook_${secret}`,
    auto: false,
    maxAttempts: 1,
  });
  const held = target.reset(scenario.hold, scenario.failTests);
  const blocker = await scenario.block?.(secret);
  await cluster.pause();
  const run = await admin.rotation.run.mutate({ secret });
  await (blocker?.waiting ?? held);
  await killed(runner);
  const survivor = await cluster.takeOver();
  target.api = survivor.url;
  await blocker?.release();

  const api = httpCaller(survivor.url, cluster.token);
  const job = await eventually(
    `the job ${run.id} ends on the surviving replica`,
    async () => {
      const [latest] = (await api.rotation.jobs.query({ secret })).items;
      return latest?.finishedAt ? latest : undefined;
    },
    { intervalMs: 200 },
  );
  expect(survivor.alive(), survivor.output()).toBe(true);
  expect(job.id).toBe(run.id);
  expect(job.state, JSON.stringify(job)).toBe(scenario.state);
  expect(job.steps.map((s) => `${s.step}:${s.outcome}`)).toContain(`${scenario.step}:replayed`);
  expect(target.calls).toEqual(scenario.calls);

  // Exactly one end, audited once; no promotion of a job that failed.
  const events = async (action: string) =>
    (await api.audit.list.query({ secret, action })).items.length;
  expect(await events("rotation.succeeded")).toBe(scenario.state === "succeeded" ? 1 : 0);
  expect(await events("rotation.failed")).toBe(scenario.state === "failed" ? 1 : 0);

  // The secret holds what the target holds; the versions agree, nothing left pending.
  const { value } = await api.secret.reveal.mutate({ secret });
  expect(value).toBe(target.value);
  const meta = await api.secret.describe.query({ secret });
  expect(meta.pendingVersion).toBeNull();
  const versions = await api.secret.versions.query({ secret });
  expect(versions.filter((v) => v.stages.includes("pending"))).toEqual([]);
  if (scenario.state === "succeeded") {
    expect(value).not.toBe("fake-initial");
    // The replay made no second version: the one pending before the kill was promoted.
    expect(job.version).toBe(2);
    expect(meta).toMatchObject({ currentVersion: 2, previousVersion: 1 });
  } else {
    expect(value).toBe("fake-initial");
    expect(meta.currentVersion).toBe(1);
  }

  // The dead replica's token: refused when the survivor's first call came, and after the end.
  if (scenario.hold !== undefined) {
    expect(target.staleRefused).toBe("UNAUTHORIZED");
    const late = await httpRefusal(
      httpCaller(survivor.url, target.stale!).rotation.job.start.mutate(),
    );
    expect(late.errorCode).toBe("UNAUTHORIZED");
  }
}

/** Driver mode, a test that passes: set then test (then the engine's finish). */
const PASSING = ["rotation.set", "rotation.test"];

/** The kills while a call is open that both engines run. */
/**
 * The kills while a call is open that both engines run: the step, and what follows. With one
 * attempt, a failing test ends the job failed once its revert is done.
 */
const HELD: [string, Omit<Scenario, "name">][] = [
  [
    "set",
    { hold: "rotation.set", state: "succeeded", step: "set", calls: ["rotation.set", ...PASSING] },
  ],
  [
    "test",
    {
      hold: "rotation.test",
      state: "succeeded",
      step: "test",
      calls: [...PASSING, "rotation.test"],
    },
  ],
  [
    "revert",
    {
      hold: "rotation.revert",
      failTests: true,
      state: "failed",
      step: "revert",
      calls: [...PASSING, "rotation.revert", "rotation.revert"],
    },
  ],
];

/** The receiver of `target`'s calls. */
const receiverFor = (target: Target): Promise<Receiver> =>
  startReceiver((res, request) => {
    const call = JSON.parse(request.body.toString("utf8")) as Call;
    target.answer(res, call).catch(() => res.writeHead(500).end());
  });

describe("rotation jobs whose replica is killed, on PGlite (restarted on its data directory)", () => {
  let receiver: Receiver;
  let dir: TempDir;
  let replica: CofferProcess;
  let token: string;
  const target = new Target();

  const cluster: Cluster = {
    get token() {
      return token;
    },
    runner: () => replica,
    pause: () => Promise.resolve(),
    async takeOver() {
      replica = await spawnCoffer(MAIN, {
        dataDir: dir.dir,
        expectToken: false,
        env: CHILD_ENV,
      });
      return replica;
    },
    close: async () => {
      await replica?.stop();
    },
  };

  beforeAll(async () => {
    receiver = await receiverFor(target);
    dir = await tempDir("coffer-rotcrash-");
    const first = await spawnCoffer(MAIN, { dataDir: dir.dir, env: CHILD_ENV });
    replica = first;
    token = first.adminToken;
  }, 120_000);
  afterAll(async () => {
    await cluster.close();
    await receiver?.close();
    await dir?.remove();
  });

  it.each(HELD)(
    "killed while its %s call is open: the restarted replica makes it again and ends the job",
    async (step, scenario) => {
      await crash(cluster, target, receiver, { ...scenario, name: `pglite_${step}` });
    },
    120_000,
  );
});

describe.skipIf(!POSTGRES_URL)(
  "rotation jobs whose replica is killed, on PostgreSQL: B takes over from A (skipped without COFFER_TEST_DATABASE_URL)",
  () => {
    const tag = randomBytes(4).toString("hex");
    const schema = `t_rotcrash_${tag}`;
    const appName = `coffer_rotcrash_${tag}`;
    const target = new Target();
    const dirs: TempDir[] = [];
    let receiver: Receiver;
    let admin: pg.Pool;
    let replicas: CofferProcess[] = [];
    let token: string;
    let env: Record<string, string>;

    const spawnReplica = async (first: boolean): Promise<CofferProcess> => {
      const dir = await tempDir("coffer-rotcrash-");
      dirs.push(dir);
      return spawnCoffer(MAIN, {
        dataDir: dir.dir,
        expectToken: first,
        env,
      });
    };

    const cluster: Cluster = {
      get token() {
        return token;
      },
      runner: () => replicas[0]!,
      pause() {
        replicas[1]!.child.kill("SIGSTOP");
        return Promise.resolve();
      },
      async takeOver() {
        const standby = replicas[1]!;
        standby.child.kill("SIGCONT");
        // The survivor runs the next job; a new replica stands by.
        replicas = [standby, await spawnReplica(false)];
        return standby;
      },
      async close() {
        for (const r of replicas) {
          r.child.kill("SIGCONT");
          await r.stop();
        }
      },
    };

    /** In this test's own transaction: `sql` holds its lock until released. */
    async function holding(sql: string, params: unknown[]): Promise<Blocker> {
      const client = await admin.connect();
      await client.query("BEGIN");
      await client.query(`SET LOCAL search_path = ${schema}`);
      await client.query(sql, params);
      const waiting = eventually("a replica waits on this test's lock", async () => {
        const { rows } = await admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [appName],
        );
        return rows.length > 0 ? true : undefined;
      }).then(() => undefined);
      return {
        waiting,
        async release() {
          await client.query("COMMIT");
          client.release();
        },
      };
    }

    beforeAll(async () => {
      admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
      await admin.query(`CREATE SCHEMA ${schema}`);
      const url = new URL(POSTGRES_URL!);
      url.searchParams.set("options", `-c search_path=${schema}`);
      url.searchParams.set("application_name", appName);
      env = {
        ...CHILD_ENV,
        DATABASE_URL: url.toString(),
        // One root key for every replica (each has a data directory of its own).
        COFFER_ROOT_KEY: randomBytes(32).toString("base64"),
      };
      receiver = await receiverFor(target);
      // Listed as each starts: afterAll stops whichever did, even if the next one failed to.
      const a = await spawnReplica(true);
      replicas.push(a);
      token = a.adminToken!;
      replicas.push(await spawnReplica(false));
    }, 120_000);
    afterAll(async () => {
      await cluster.close();
      await receiver?.close();
      await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin?.end();
      for (const dir of dirs) await dir.remove();
    });

    it("killed during create (its version insert blocked): B creates again and promotes once", async () => {
      await crash(cluster, target, receiver, {
        name: "pg_create",
        // Only create writes a version: A waits inside its create transaction.
        block: () => holding("LOCK TABLE secret_versions IN SHARE MODE", []),
        state: "succeeded",
        step: "create",
        calls: PASSING,
      });
    }, 120_000);

    it.each(HELD)(
      "killed while its %s call is open: B makes it again and ends the job",
      async (step, scenario) => {
        await crash(cluster, target, receiver, { ...scenario, name: `pg_${step}` });
      },
      120_000,
    );

    it("killed during finish (promoted, not yet committed): B finishes, one promotion", async () => {
      await crash(cluster, target, receiver, {
        name: "pg_finish",
        // Only finish writes the policy's row (its rotation time), after promoting the version:
        // A waits inside its finish transaction, with the promotion made and not committed.
        block: async (secret) =>
          holding(
            `SELECT 1 FROM rotation_policies rp JOIN secrets s ON s.id = rp.secret_id
             WHERE s.name = $1 FOR UPDATE OF rp`,
            [secret],
          ),
        state: "succeeded",
        step: "finish",
        calls: PASSING,
      });
    }, 120_000);
  },
);
