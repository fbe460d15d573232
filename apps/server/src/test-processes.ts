/**
 * Server processes for fault tests: real servers (the built dist/, through
 * test-server-child.mjs) on a data directory and, on PostgreSQL, a schema of their own that
 * outlive any one process; killed with SIGKILL and started again on the same data.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { CofferProcess, TempDir } from "@coffer/test-kit";
import { eventually, spawnCoffer, tempDir } from "@coffer/test-kit";
import pg from "pg";
import { expect } from "vitest";
import { POSTGRES_URL, type Engine } from "./test-support.js";

const CHILD = fileURLToPath(new URL("./test-server-child.mjs", import.meta.url));

/** SIGKILLs a server process and waits until it is gone. */
export async function killed(child: CofferProcess): Promise<void> {
  child.child.kill("SIGKILL");
  await eventually("the killed process's exit", () => (child.alive() ? undefined : true));
  expect(child.exit()).toMatch(/signal SIGKILL/);
}

export interface ProcessOptions {
  /** The hook worker's lease (COFFER_HOOK_LEASE_MS). */
  hookLeaseMs?: number;
  /** Background jobs and the hook worker; default on. */
  jobs?: boolean;
  env?: Record<string, string>;
}

/**
 * Where servers run: a data directory and, on PostgreSQL, a schema of its own (every replica
 * gets its own data directory there, and one root key). `start` spawns a server on it; the
 * first start's admin token is in `token` after it.
 */
export interface ProcessPlace {
  readonly token: string;
  start(options?: ProcessOptions): Promise<CofferProcess>;
  /** Stops every server still running, drops the schema, removes the directories. */
  close(): Promise<void>;
}

export async function processPlace(engine: Engine, env: Record<string, string> = {}) {
  const dirs: TempDir[] = [];
  const children: CofferProcess[] = [];
  let token: string | undefined;
  let shared: TempDir | undefined;
  let admin: pg.Pool | undefined;
  let schema: string | undefined;
  const base: Record<string, string> = { ...env };
  if (engine === "postgres") {
    schema = `t_proc_${randomBytes(5).toString("hex")}`;
    admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = new URL(POSTGRES_URL!);
    url.searchParams.set("options", `-c search_path=${schema}`);
    base["DATABASE_URL"] = url.toString();
    base["COFFER_ROOT_KEY"] = randomBytes(32).toString("base64");
  } else {
    shared = await tempDir("coffer-proc-");
    dirs.push(shared);
  }
  const place: ProcessPlace = {
    get token() {
      if (token === undefined) throw new Error("no server has started here yet");
      return token;
    },
    async start(options = {}) {
      let dir = shared;
      if (dir === undefined) {
        dir = await tempDir("coffer-proc-");
        dirs.push(dir);
      }
      const child = await spawnCoffer(CHILD, {
        dataDir: dir.dir,
        expectToken: token === undefined,
        env: {
          ...base,
          ...(options.hookLeaseMs ? { COFFER_HOOK_LEASE_MS: String(options.hookLeaseMs) } : {}),
          ...(options.jobs === false ? { COFFER_TEST_JOBS: "off" } : {}),
          ...options.env,
        },
      });
      children.push(child);
      token ??= child.adminToken;
      return child;
    },
    async close() {
      for (const child of children) {
        child.child.kill("SIGCONT");
        await child.stop();
      }
      if (admin) {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      }
      for (const dir of dirs) await dir.remove();
    },
  };
  return place;
}
