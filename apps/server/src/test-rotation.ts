/**
 * Helpers for the root-key rotation tests: secrets under several protection keys, a server
 * process that rotates (test-rotation-child.mjs, from dist/), and the checks after a restart.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { rootKeyId } from "@coffer/core";
import { expect } from "vitest";
import type { Database } from "./db/database.js";
import { readConfig } from "./env.js";
import { createLogger } from "./logger.js";
import { startServer, type CofferServer } from "./server.js";
import pg from "pg";
import { actorFor, META, POSTGRES_URL, type Engine } from "./test-support.js";

const CHILD = fileURLToPath(new URL("./test-rotation-child.mjs", import.meta.url));

/** A server on `dataDir` (its own PGlite there unless `db` is given or `databaseUrl` set). */
export function startOn(
  dataDir: string,
  options: { db?: Database; databaseUrl?: string } = {},
): Promise<CofferServer> {
  const env: Record<string, string> = { COFFER_PORT: "0", COFFER_DATA_DIR: dataDir };
  if (options.databaseUrl !== undefined) env["DATABASE_URL"] = options.databaseUrl;
  return startServer(readConfig(env, dataDir), {
    jobs: false,
    log: createLogger({ logLevel: "silent" }),
    ...(options.db ? { db: options.db } : {}),
  });
}

/** Secrets under three protection keys (each made the default in turn); name to value. */
export async function seedSecrets(
  server: CofferServer,
  token: string,
): Promise<Map<string, string>> {
  const admin = await actorFor(server, token);
  const values = new Map<string, string>();
  for (let i = 0; i < 3; i++) {
    if (i > 0) await server.services.keys.create(admin, META, { makeDefault: true });
    const name = `rotation_${i}`;
    values.set(name, `fake-value-${i}`);
    await server.services.secretWriter.create(admin, META, {
      secret: name,
      value: values.get(name)!,
    });
  }
  return values;
}

/**
 * What must hold after a restart: every secret reads back, one key file and no file of a
 * rotation left, every protection key wrapped by the active root key, which is the file's.
 */
export async function expectIntact(
  server: CofferServer,
  token: string,
  values: Map<string, string>,
  dataDir: string,
  protectionKeys = 3,
): Promise<void> {
  const admin = await actorFor(server, token);
  for (const [name, value] of values) {
    const revealed = await server.services.secretReader.reveal(admin, META, { secret: name });
    expect(revealed.value).toBe(value);
  }
  const files = (await readdir(dataDir)).filter((f) => f.startsWith("root.key")).sort();
  expect(files.filter((f) => f !== "root.key.previous")).toEqual(["root.key"]);
  const active = Buffer.from((await readFile(`${dataDir}/root.key`, "utf8")).trim(), "base64");
  const listed = await server.services.keys.list(admin);
  expect(listed.activeRootKeyId).toBe(rootKeyId(active));
  expect(listed.protectionKeys).toHaveLength(protectionKeys);
  for (const key of listed.protectionKeys) expect(key.rootKeyId).toBe(listed.activeRootKeyId);
}

export interface RotationTask {
  dataDir: string;
  databaseUrl?: string;
  token: string;
  rotations: number;
  /** The step at which the process kills itself (SIGKILL). */
  killAt?: string;
}

export interface RotatingProcess {
  /** Resolves once the server in it has started. */
  started: Promise<void>;
  /** Starts the rotations. */
  go(): void;
  /** Each rotation's outcome ("ok" or its error message), or "killed" if it was SIGKILLed. */
  done: Promise<string[] | "killed">;
}

/** A separate server process that rotates the root key `task.rotations` times at once. */
export function rotateInProcess(task: RotationTask): RotatingProcess {
  const child = fork(CHILD, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let outcomes: string[] | undefined;
  let failure: string | undefined;
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  child.on("message", (message: { started?: true; outcomes?: string[]; error?: string }) => {
    if (message.started) markStarted();
    if (message.outcomes) outcomes = message.outcomes;
    if (message.error) failure = message.error;
  });
  const done = new Promise<string[] | "killed">((resolve, reject) => {
    child.once("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve("killed");
      else if (code === 0 && outcomes) resolve(outcomes);
      else reject(new Error(`the rotating process failed (${code ?? signal}): ${failure}`));
    });
  });
  child.send(task);
  return {
    started: Promise.race([started, done.then(() => undefined)]),
    go: () => child.send("go"),
    done,
  };
}

export interface RotationPlace {
  dataDir: string;
  /** Set on PostgreSQL: a schema of its own, for servers in other processes too. */
  databaseUrl?: string;
  /** Starts a server here (a restart, or a replica: same folder, same database). */
  start(): Promise<CofferServer>;
  drop(): Promise<void>;
}

/**
 * A data folder and a database that survive a process: PGlite in the folder, or on
 * PostgreSQL a schema of its own that any process can open by URL.
 */
export async function rotationPlace(engine: Engine): Promise<RotationPlace> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-rotation-"));
  if (engine === "pglite") {
    return {
      dataDir,
      start: () => startOn(dataDir),
      drop: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(POSTGRES_URL!);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const databaseUrl = url.toString();
  return {
    dataDir,
    databaseUrl,
    start: () => startOn(dataDir, { databaseUrl }),
    async drop() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
