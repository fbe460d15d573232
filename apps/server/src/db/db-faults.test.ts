/**
 * The server survives its database failing under load. On PostgreSQL (only when it is given), the
 * server survives its connections ending. The server runs as
 * a real child process (dist/main.js) in a schema of its own, its connections named by an
 * application_name of this test's: only those are terminated, the shared PostgreSQL is never
 * restarted (a TCP proxy plays the restart). Under 50 writers over HTTP:
 * - idle and busy connections terminated: the process stays up, failed calls are 503s in the
 *   SPEC's format (or a 500 that says a COMMIT's outcome is unknown), later calls work;
 * - a restart (every connection dropped, new ones refused, then accepted again): /readyz says
 *   not ready meanwhile and ready after, the change feed hears a change made after it;
 * - in both, every acknowledged write is there afterwards, with its value.
 * On the embedded default (PGlite, always): the server killed (SIGKILL) under 50 writers starts
 * again on its data directory with every acknowledged write.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  eventually,
  sleep,
  spawnCoffer,
  startTcpProxy,
  tempDir,
  type CofferProcess,
  type TcpProxy,
  type TempDir,
} from "@coffer/test-kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_URL } from "../test-support.js";

const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

/** The built server as a child process: a process that dies shows as dead, not as a failed assertion here. */
type ChildServer = CofferProcess & { adminToken: string };

const WRITERS = 50;

interface Reply {
  status: number;
  body: {
    result?: { data?: unknown };
    error?: { errorCode?: string; message?: string; details?: Record<string, unknown> };
  };
}

async function call(server: ChildServer, procedure: string, input: unknown): Promise<Reply> {
  const response = await fetch(`${server.url}/trpc/${procedure}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(120_000),
  });
  return { status: response.status, body: (await response.json()) as Reply["body"] };
}

async function readyz(server: ChildServer): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(60_000) });
  return { status: response.status, body: await response.json() };
}

interface Ack {
  secret: string;
  version: number;
  value: string;
}

/**
 * Writers, each creating secrets of its own and putting a second version on each, until
 * stopped. Records every acknowledged write, and sorts every failure: a 503 "database
 * unavailable" or a 500 "commit outcome unknown" in the SPEC's format is expected while
 * connections break; anything else is not.
 */
class Load {
  readonly acks: Ack[] = [];
  unavailable = 0;
  unknownOutcome = 0;
  readonly unexpected: string[] = [];
  #stopped = false;
  #running: Promise<void>[] = [];

  constructor(
    private readonly server: ChildServer,
    private readonly tag: string,
  ) {}

  start(writers: number): void {
    this.#running = Array.from({ length: writers }, (_, i) => this.#writer(i));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#running);
  }

  /** Waits until `count` more writes were acknowledged, failing early if the server died. */
  async progress(count: number): Promise<void> {
    const target = this.acks.length + count;
    await eventually(`${count} more acknowledged writes`, () => {
      if (!this.server.alive()) {
        throw new Error(
          `the server died (${this.server.exit()}):\n${this.server.output().slice(-3000)}`,
        );
      }
      return this.acks.length >= target ? true : undefined;
    });
  }

  async #writer(i: number): Promise<void> {
    for (let n = 0; !this.#stopped; n++) {
      const secret = `admin/${this.tag}_${i}_${n}`;
      const first = `fake-fault-${i}-${n}-first`;
      if (!(await this.#write("secret.create", { secret, value: first }))) continue;
      this.acks.push({ secret, version: 1, value: first });
      const second = `fake-fault-${i}-${n}-second`;
      const put = await this.#write("secret.put", { secret, value: second });
      if (put)
        this.acks.push({ secret, version: (put as { version: number }).version, value: second });
    }
  }

  /** The call's result when acknowledged; undefined (and the failure sorted) when not. */
  async #write(procedure: string, input: unknown): Promise<unknown> {
    let reply: Reply;
    try {
      reply = await call(this.server, procedure, input);
    } catch (error) {
      this.unexpected.push(`${procedure}: no answer (${String(error)})`);
      this.#stopped ||= !this.server.alive();
      await sleep(100);
      return undefined;
    }
    if (reply.status === 200) return reply.body.result?.data;
    const error = reply.body.error;
    const cause = error?.details?.["cause"];
    const spec =
      error?.errorCode === "INTERNAL_SERVER_ERROR" &&
      typeof error.message === "string" &&
      typeof error.details === "object";
    if (spec && reply.status === 503 && cause === "DATABASE_UNAVAILABLE") this.unavailable += 1;
    else if (spec && reply.status === 500 && cause === "DATABASE_COMMIT_UNKNOWN")
      this.unknownOutcome += 1;
    else this.unexpected.push(`${procedure}: ${reply.status} ${JSON.stringify(reply.body)}`);
    await sleep(20); // no busy loop while the database is away (not a wait for correctness)
    return undefined;
  }
}

/** Every acknowledged write reads back, version and value (batchReveal, 100 at a time). */
async function expectAllAcknowledged(server: ChildServer, acks: Ack[]): Promise<void> {
  const missing: string[] = [];
  for (let i = 0; i < acks.length; i += 100) {
    const chunk = acks.slice(i, i + 100);
    const reply = await call(server, "secret.batchReveal", {
      items: chunk.map((a) => ({ secret: a.secret, version: a.version })),
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const results = reply.body.result?.data as { ok: boolean; value?: string }[];
    chunk.forEach((ack, j) => {
      if (!results[j]?.ok || results[j]?.value !== ack.value)
        missing.push(`${ack.secret}#${ack.version}`);
    });
  }
  expect(missing).toEqual([]);
}

/** Secret changes heard over server-sent events, reconnecting whenever a stream ends. */
class FeedListener {
  text = "";
  streams = 0;
  readonly #stop = new AbortController();
  readonly #done: Promise<void>;

  constructor(private readonly server: ChildServer) {
    this.#done = this.#run();
  }

  async #run(): Promise<void> {
    const decoder = new TextDecoder();
    while (!this.#stop.signal.aborted) {
      try {
        const response = await fetch(`${this.server.url}/trpc/secret.changes`, {
          headers: {
            accept: "text/event-stream",
            authorization: `Bearer ${this.server.adminToken}`,
          },
          signal: this.#stop.signal,
        });
        if (response.status === 200 && response.body) {
          this.streams += 1;
          for await (const chunk of response.body) this.text += decoder.decode(chunk as Uint8Array);
        } else {
          await response.body?.cancel();
        }
      } catch {
        // the stream broke or was stopped: reconnect (or leave) below
      }
      if (!this.#stop.signal.aborted) await sleep(200);
    }
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }
}

describe.skipIf(!POSTGRES_URL)("PostgreSQL connection faults (server as a child process)", () => {
  const tag = randomBytes(4).toString("hex");
  const appName = `coffer_fault_${tag}`;
  const schemas: string[] = [];
  const children: ChildServer[] = [];
  const dirs: TempDir[] = [];
  let admin: pg.Pool;
  let proxy: TcpProxy | undefined;

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  });

  afterAll(async () => {
    for (const child of children) await child.stop();
    await proxy?.close();
    for (const schema of schemas) await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    for (const dir of dirs) await dir.remove();
  });

  /** A child server in a fresh schema, reaching PostgreSQL at `port` (default: directly). */
  async function startChild(name: string, port?: number): Promise<ChildServer> {
    const schema = `t_fault_${tag}_${name}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    schemas.push(schema);
    const url = new URL(POSTGRES_URL!);
    url.searchParams.set("options", `-c search_path=${schema}`);
    url.searchParams.set("application_name", appName);
    if (port !== undefined) {
      url.hostname = "127.0.0.1";
      url.port = String(port);
    }
    const dir = await tempDir("coffer-fault-");
    dirs.push(dir);
    const child = await spawnCoffer(MAIN, {
      dataDir: dir.dir,
      logLevel: "warn",
      env: { DATABASE_URL: url.toString() },
    });
    children.push(child);
    return child;
  }

  /** Terminates this test's backends only: idle ones, or busy ones (running or in a transaction). */
  async function terminate(which: "idle" | "busy"): Promise<number> {
    const [row] = (
      await admin.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE application_name = $1 AND pid <> pg_backend_pid() AND state ${which === "idle" ? "=" : "<>"} 'idle'`,
        [appName],
      )
    ).rows;
    return row?.n ?? 0;
  }

  it("terminated idle and busy connections under 50 writers: the server stays up, fails calls with 503, loses no acknowledged write", async () => {
    const server = await startChild("kill");
    const load = new Load(server, "k");
    load.start(WRITERS);
    let idle = 0;
    let busy = 0;
    try {
      for (let round = 0; round < 20 && (round < 3 || busy < 3); round++) {
        await load.progress(20);
        idle += await terminate("idle");
        await load.progress(20);
        busy += await terminate("busy");
      }
      await load.progress(50); // and it works afterwards
    } finally {
      await load.stop();
    }
    expect(server.alive(), server.output()).toBe(true);
    expect(idle).toBeGreaterThan(0);
    expect(busy).toBeGreaterThan(0);
    expect(load.unexpected).toEqual([]);
    // A busy connection terminated fails the call it was running.
    expect(load.unavailable + load.unknownOutcome).toBeGreaterThan(0);
    await expectAllAcknowledged(server, load.acks);
    expect((await readyz(server)).status).toBe(200);
    // The log says a connection was lost, without the connection string.
    expect(server.output()).toContain("a database connection was lost");
    expect(server.output()).not.toContain(POSTGRES_URL!);
    await server.stop();
  }, 600_000);

  it("a PostgreSQL restart under load: not ready meanwhile, ready after, the change feed comes back, no acknowledged write lost", async () => {
    const target = new URL(POSTGRES_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const server = await startChild("restart", proxy.port);
    const feed = new FeedListener(server);
    const load = new Load(server, "r");
    const heard = (uri: string, from: number): boolean => feed.text.slice(from).includes(uri);
    /** Creates probe secrets until the feed hears one created after `from`. */
    const feedHearsAChange = async (label: string): Promise<void> => {
      let k = 0;
      await eventually(`the change feed hears a change ${label}`, async () => {
        const from = feed.text.length;
        const secret = `admin/probe_${label}_${k++}`;
        const reply = await call(server, "secret.create", { secret, value: "fake-probe" });
        if (reply.status !== 200) return undefined;
        const uri = `secret://default/${secret}`;
        for (let i = 0; i < 30 && !heard(uri, from); i++) await sleep(100);
        return heard(uri, from) ? true : undefined;
      });
    };
    try {
      await feedHearsAChange("before");
      const streamsBefore = feed.streams;
      load.start(WRITERS);
      await load.progress(50);

      await proxy.down();
      const unreachable = await eventually("/readyz says not ready", async () => {
        const answer = await readyz(server);
        return answer.status === 503 ? answer.body : undefined;
      });
      expect(unreachable).toEqual({ status: "database unreachable" });
      const failedBefore = load.unavailable;
      await eventually("calls fail while the database is down", () =>
        load.unavailable >= failedBefore + WRITERS ? true : undefined,
      );
      expect(server.alive(), server.output()).toBe(true);

      await proxy.up();
      await eventually("/readyz says ready again", async () =>
        (await readyz(server)).status === 200 ? true : undefined,
      );
      await load.progress(50);
      await feedHearsAChange("after");
      // The stream open across the outage was ended (it may have missed changes); the
      // listener came back on a new one.
      expect(feed.streams).toBeGreaterThan(streamsBefore);
    } finally {
      await load.stop();
      await feed.stop();
    }
    expect(server.alive(), server.output()).toBe(true);
    expect(load.unexpected).toEqual([]);
    await expectAllAcknowledged(server, load.acks);
  }, 600_000);
});

describe("the embedded database (PGlite) killed under load (server as a child process)", () => {
  it("SIGKILL under 50 writers: the next start on the same data directory has every acknowledged write", async () => {
    const dir = await tempDir("coffer-kill-");
    try {
      const first = await spawnCoffer(MAIN, { dataDir: dir.dir, logLevel: "warn" });
      const load = new Load(first, "e");
      load.start(WRITERS);
      try {
        await load.progress(100);
      } finally {
        // Killed while calls are in flight; those get no answer and count for nothing.
        first.child.kill("SIGKILL");
        await load.stop();
      }
      expect(first.exit()).toMatch(/signal SIGKILL/);
      const unanswered = load.unexpected.filter((u) => !/: no answer \(/.test(u));
      expect(unanswered).toEqual([]);
      expect(load.acks.length).toBeGreaterThanOrEqual(100);

      // (At info: a start that is not the first says where it listens in the info line.)
      const again = await spawnCoffer(MAIN, { dataDir: dir.dir, expectToken: false });
      try {
        await expectAllAcknowledged({ ...again, adminToken: first.adminToken }, load.acks);
      } finally {
        await again.stop();
      }
    } finally {
      await dir.remove();
    }
  }, 600_000);
});
