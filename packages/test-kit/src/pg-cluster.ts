/**
 * A throwaway PostgreSQL cluster for tests that must prove a password: initdb into a temporary
 * directory, then the server itself as a child process on 127.0.0.1 and a free port, with
 * `scram-sha-256` for every TCP login (the machine's own server trusts 127.0.0.1, so a wrong
 * password would pass there). Fast to start: initdb --no-sync and fsync off (the data is thrown
 * away). initdb and postgres refuse to run as root: as root they run as the `postgres` user,
 * in a directory it owns. The binaries are Debian's (/usr/lib/postgresql/<major>/bin, the
 * newest major); `pgClusterUnavailable()` says why a cluster cannot start here, for a skip.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chown, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { killOnExit, START_TIMEOUT_MS } from "./child-process.js";
import { freePort } from "./listen.js";
import { tempDir, type TempDir } from "./temp-dir.js";

const run = promisify(execFile);
const DEBIAN_ROOT = "/usr/lib/postgresql";
const READY_RE = /database system is ready to accept connections/;

export interface PgClusterOptions {
  /** The superuser initdb makes (default `cluster_admin`). */
  superuser?: string;
  /** Its password (default an obviously fake one). */
  password?: string;
  /** More postgresql.conf settings (`log_statement: "all"`, say). */
  settings?: Record<string, string>;
}

export interface PgCluster {
  host: "127.0.0.1";
  port: number;
  superuser: string;
  password: string;
  /** The major version of the binaries (16, say). */
  major: number;
  /** `postgres://user:password@127.0.0.1:port/database` (default: the superuser, `postgres`). */
  url: (user?: string, password?: string, database?: string) => string;
  /** Everything the server wrote so far (its log goes to stderr). */
  log: () => string;
  /** Stops the server (fast shutdown) and removes its directory. */
  stop: () => Promise<void>;
}

/** The newest Debian PostgreSQL bin directory holding initdb and postgres, if any. */
function binDir(): { dir: string; major: number } | undefined {
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const majors = readdirSync(DEBIAN_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => b - a);
  for (const major of majors) {
    const dir = path.join(DEBIAN_ROOT, String(major), "bin");
    if (existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "postgres")))
      return { dir, major };
  }
  return undefined;
}

/** The `postgres` user's uid and gid, read from /etc/passwd. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (!existsSync("/etc/passwd")) return undefined;
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const [name, , uid, gid] = line.split(":");
    if (name === "postgres" && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Why a cluster cannot start on this machine, or undefined when it can. */
export function pgClusterUnavailable(): string | undefined {
  if (binDir() === undefined)
    return `no PostgreSQL server binaries (initdb, postgres) under ${DEBIAN_ROOT}/<major>/bin`;
  if (isRoot() && postgresUser() === undefined)
    return "running as root and there is no `postgres` user to run initdb and postgres as";
  return undefined;
}

function quoteConf(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Starts a cluster (initdb, then postgres on a free port) and waits until it accepts logins. */
export async function startPgCluster(options: PgClusterOptions = {}): Promise<PgCluster> {
  const unavailable = pgClusterUnavailable();
  if (unavailable !== undefined)
    throw new Error(`cannot start a PostgreSQL cluster: ${unavailable}`);
  const bin = binDir()!;
  const owner = isRoot() ? postgresUser() : undefined;
  const superuser = options.superuser ?? "cluster_admin";
  const password = options.password ?? "fake-cluster-admin-password";
  const temp = await tempDir("coffer-pg-cluster-");
  try {
    if (owner) await chown(temp.dir, owner.uid, owner.gid);
    const pwfile = path.join(temp.dir, "pwfile");
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (owner) await chown(pwfile, owner.uid, owner.gid);
    const data = path.join(temp.dir, "data");
    await run(
      path.join(bin.dir, "initdb"),
      [
        `--pgdata=${data}`,
        `--username=${superuser}`,
        `--pwfile=${pwfile}`,
        "--auth-local=scram-sha-256",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
      ],
      { cwd: temp.dir, env: { PATH: process.env["PATH"], LC_ALL: "C" }, ...(owner ?? {}) },
    );
    const settings: Record<string, string> = {
      listen_addresses: "127.0.0.1",
      unix_socket_directories: temp.dir,
      fsync: "off",
      synchronous_commit: "off",
      full_page_writes: "off",
      password_encryption: "scram-sha-256",
      ...options.settings,
    };
    const conf = Object.entries(settings).map(([key, value]) => `${key} = ${quoteConf(value)}`);
    await writeFile(path.join(data, "postgresql.conf"), `\n${conf.join("\n")}\n`, { flag: "a" });
    // A free port may be taken between its release and the bind: try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      try {
        return await serve({ bin, owner, data, port, superuser, password, temp });
      } catch (error) {
        lastError = error;
        if (!/could not bind|could not create listen socket/i.test(String(error))) break;
      }
    }
    throw lastError;
  } catch (error) {
    await temp.remove();
    throw error;
  }
}

interface ServeInput {
  bin: { dir: string; major: number };
  owner: { uid: number; gid: number } | undefined;
  data: string;
  port: number;
  superuser: string;
  password: string;
  temp: TempDir;
}

async function serve(input: ServeInput): Promise<PgCluster> {
  const { bin, owner, data, port, superuser, password, temp } = input;
  const child = spawn(path.join(bin.dir, "postgres"), ["-D", data, "-p", String(port)], {
    cwd: temp.dir,
    env: { PATH: process.env["PATH"], LC_ALL: "C" },
    stdio: ["ignore", "pipe", "pipe"],
    ...(owner ?? {}),
  });
  killOnExit(child);
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const collect = (chunk: Buffer): void => {
        output += chunk.toString("utf8");
        if (READY_RE.test(output)) resolve();
      };
      child.stdout.on("data", collect);
      child.stderr.on("data", collect);
      child.once("error", reject);
      void exited.then(() => reject(new Error(`postgres exited while starting:\n${output}`)));
      timer = setTimeout(
        () => reject(new Error(`postgres did not start in ${START_TIMEOUT_MS} ms:\n${output}`)),
        START_TIMEOUT_MS,
      );
    });
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const enc = encodeURIComponent;
  return {
    host: "127.0.0.1",
    port,
    superuser,
    password,
    major: bin.major,
    url: (user = superuser, pass = password, database = "postgres") =>
      `postgres://${enc(user)}:${enc(pass)}@127.0.0.1:${port}/${enc(database)}`,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGINT"); // fast shutdown: ends the sessions, then exits
        const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(force);
      }
      await temp.remove();
    },
  };
}
