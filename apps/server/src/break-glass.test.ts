/**
 * The break-glass command, run as a real child process (the built dist/break-glass.js) beside
 * a real server's storage, on PGlite and on PostgreSQL (a schema of its own).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "./auth/actor.js";
import { readConfig } from "./env.js";
import { createLogger } from "./logger.js";
import { startServer, type CofferServer } from "./server.js";
import { actorFor, ENGINES, META, POSTGRES_URL } from "./test-support.js";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const BIN = fileURLToPath(new URL("../dist/break-glass.js", import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe.each(ENGINES)("break-glass on %s", (engine) => {
  let dataDir: string;
  let env: Record<string, string>;
  let server: CofferServer | undefined;
  let schema: string | undefined;

  function breakGlass(args: string[], extra: Record<string, string> = {}): Promise<Result> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        {
          env: { PATH: process.env["PATH"] ?? "", ...env, ...extra },
          cwd: dataDir,
          timeout: 90_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  const start = async (): Promise<CofferServer> =>
    startServer(readConfig(env, dataDir), {
      jobs: false,
      log: createLogger({ logLevel: "silent" }),
    });

  const tokenIn = (stdout: string): string => /cft_[0-9A-Za-z]+/.exec(stdout)![0];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-break-glass-"));
    env = { COFFER_PORT: "0", COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: "silent" };
    if (engine === "postgres") {
      schema = `t_${randomBytes(6).toString("hex")}`;
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const url = new URL(POSTGRES_URL!);
      url.searchParams.set("options", `-c search_path=${schema}`);
      env["DATABASE_URL"] = url.toString();
    }
    server = await start();
    const admin: Actor = await actorFor(server, server.adminToken!);
    const s = server.services;
    await s.principals.createUser(admin, META, { name: "ops", admin: true });
    await s.principals.createUser(admin, META, { name: "bob" });
    await s.principals.setUserStatus(admin, META, { name: "ops" }, false);
    // Every admin token is lost: the only one is disabled.
    await s.tokens.disable(admin, META, { id: admin.tokenId });
  });

  afterAll(async () => {
    await server?.close();
    if (schema !== undefined) {
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  if (engine === "pglite") {
    it("refuses while the server holds the embedded database: stop the server first", async () => {
      const busy = await breakGlass([]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain("stop the server first");
      expect(busy.stdout).not.toMatch(/cft_/);
      await server!.close();
      server = undefined;
    });
  }

  it("refuses without the server's root key, and for a user who is not an admin", async () => {
    const wrongKey = await breakGlass([], { COFFER_ROOT_KEY: randomBytes(32).toString("base64") });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain("does not unwrap the protection keys");
    const member = await breakGlass(["--user", "bob"]);
    expect(member.code).toBe(1);
    expect(member.stderr).toContain("bob is not an org admin");
    const elsewhere = await breakGlass([], {
      COFFER_DATA_DIR: path.join(dataDir, "nothing-here"),
    });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain("run this where the server runs");
  });

  it("refuses a disabled admin unless --enable", async () => {
    const refused = await breakGlass(["--user", "ops"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("ops is disabled: add --enable");
    const enabled = await breakGlass(["--user", "ops", "--enable"]);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toContain("enabled again");
  });

  it("issues a fresh admin token, printed once, audited as token.break-glass by system", async () => {
    const made = await breakGlass([]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toBe("");
    const token = tokenIn(made.stdout);
    server ??= await start();
    const actor = await actorFor(server, token);
    expect(actor.principal).toMatchObject({ kind: "user", name: "admin", orgRole: "admin" });
    const events = await server.deps.db.query<{ actor: string; details: { user: string } }>(
      "SELECT actor, details FROM audit_events WHERE action = 'token.break-glass' ORDER BY id",
    );
    expect(events.map((e) => [e.actor, e.details.user])).toEqual([
      ["system", "ops"],
      ["system", "admin"],
    ]);
    const listed = await server.services.tokens.list(actor);
    expect(listed.find((t) => t.id === actor.tokenId)).toMatchObject({ createdBy: "break-glass" });
    expect(JSON.stringify(events)).not.toContain(token);
  });
});
