/**
 * The postgres rotator's target side against a real PostgreSQL that checks passwords: a
 * throwaway cluster (test-kit's startPgCluster: scram-sha-256 for every login, every statement
 * logged), because the machine's server trusts 127.0.0.1 and would let any password in.
 */
import { createServer, type Socket } from "node:net";
import type { CofferError } from "@coffer/core";
import {
  freePort,
  listenOn,
  pgClusterUnavailable,
  refusal,
  startPgCluster,
  type PgCluster,
} from "@coffer/test-kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkCanRotate, loginWorks, setRolePassword } from "./postgres-target.js";
import { scramVerifier } from "./scram.js";

const unavailable = pgClusterUnavailable();
const ADMIN_PASSWORD = "fake-admin-canary-7Qx";
const OLD_PASSWORD = "fake-old-password-canary-3Kd";
const NEW_PASSWORD = "fake-new-password-canary-9Zw";
const OTHER_PASSWORD = "fake-other-password-canary-5Lp";
const CANARIES = [ADMIN_PASSWORD, OLD_PASSWORD, NEW_PASSWORD, OTHER_PASSWORD];

/** What a refusal would show anyone: its message and details (and its stack's first line). */
function shown(error: CofferError): string {
  return JSON.stringify({ body: error.toBody(), stack: error.stack?.split("\n")[0] });
}

function expectNoSecret(error: CofferError, ...more: string[]): void {
  const text = shown(error);
  for (const canary of [...CANARIES, ...more]) expect(text).not.toContain(canary);
  expect(text).not.toContain("SCRAM-SHA-256$");
}

describe.skipIf(unavailable !== undefined)(
  `postgres rotator target${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let cluster: PgCluster;
    let adminUrl: string;

    async function sql<R extends pg.QueryResultRow>(text: string, params: unknown[] = []) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        return (await client.query<R>(text, params)).rows;
      } finally {
        await client.end();
      }
    }

    const storedVerifier = async (role: string): Promise<string | null> =>
      (
        await sql<{ p: string | null }>(
          "SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1",
          [role],
        )
      )[0]!.p;

    beforeAll(async () => {
      cluster = await startPgCluster({
        superuser: "cluster_admin",
        password: ADMIN_PASSWORD,
        settings: { log_statement: "all" },
      });
      adminUrl = cluster.url();
      await sql(`CREATE ROLE app LOGIN PASSWORD '${OLD_PASSWORD}'`);
      await sql(`CREATE ROLE plain LOGIN PASSWORD '${OTHER_PASSWORD}'`);
      await sql(`CREATE ROLE creator LOGIN CREATEROLE PASSWORD '${OTHER_PASSWORD}'`);
      await sql(`CREATE ROLE creator_target LOGIN PASSWORD '${OTHER_PASSWORD}'`);
      await sql("CREATE ROLE group_only NOLOGIN");
      await sql(`CREATE ROLE hashed LOGIN`);
    });

    afterAll(async () => {
      await cluster?.stop();
    });

    it("hashes a password as PostgreSQL does (the verifier it stores for the same salt)", async () => {
      await sql(`ALTER ROLE hashed PASSWORD '${OTHER_PASSWORD}'`);
      const stored = await storedVerifier("hashed");
      const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored ?? "");
      expect(match).not.toBeNull();
      const [, iterations, salt] = match!;
      expect(scramVerifier(OTHER_PASSWORD, Buffer.from(salt!, "base64"), Number(iterations))).toBe(
        stored,
      );
      expect(
        scramVerifier(`${OTHER_PASSWORD}x`, Buffer.from(salt!, "base64"), Number(iterations)),
      ).not.toBe(stored);
    });

    it("sets the new password: it logs in, the old one no longer does, and only a verifier reaches the server", async () => {
      await loginWorks({ adminUrl, role: "app", password: OLD_PASSWORD });
      await setRolePassword({ adminUrl, role: "app", password: NEW_PASSWORD });
      await loginWorks({ adminUrl, role: "app", password: NEW_PASSWORD });
      await loginWorks({ adminUrl, role: "app", password: NEW_PASSWORD, database: "template1" });
      const old = await refusal(loginWorks({ adminUrl, role: "app", password: OLD_PASSWORD }));
      expect(old.errorCode).toBe("UNPROCESSABLE_ENTITY");
      expect(old.details).toMatchObject({
        cause: "TARGET_LOGIN_REFUSED",
        retryable: false,
        role: "app",
      });
      expect(old.message).toContain('role "app"');
      expect(old.message).toContain(`127.0.0.1:${cluster.port}`);
      expectNoSecret(old);

      const stored = await storedVerifier("app");
      expect(stored).toMatch(
        /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/,
      );
      // Every statement is logged: the ALTER ROLE is there, with the verifier, never the password.
      expect(cluster.log()).toMatch(/statement: ALTER ROLE "app" PASSWORD 'SCRAM-SHA-256\$4096:/);
      expect(cluster.log()).not.toContain(NEW_PASSWORD);

      // Again with the same password: harmless, it still logs in.
      await setRolePassword({ adminUrl, role: "app", password: NEW_PASSWORD });
      await loginWorks({ adminUrl, role: "app", password: NEW_PASSWORD });
    });

    it("refuses a wrong password as not worth retrying, naming the role and not the password", async () => {
      const error = await refusal(loginWorks({ adminUrl, role: "plain", password: NEW_PASSWORD }));
      expect(error.details).toMatchObject({
        cause: "TARGET_LOGIN_REFUSED",
        retryable: false,
        role: "plain",
      });
      expect(error.message).toMatch(
        /role "plain" could not log in to 127\.0\.0\.1:\d+: the password was refused/,
      );
      expectNoSecret(error);
    });

    it("says a missing role is missing, setting or checking, and not worth retrying", async () => {
      for (const call of [
        () => setRolePassword({ adminUrl, role: "nobody_here", password: NEW_PASSWORD }),
        () => checkCanRotate({ adminUrl, role: "nobody_here" }),
      ]) {
        const error = await refusal(call());
        expect(error.errorCode).toBe("NOT_FOUND");
        expect(error.message).toBe(
          `role "nobody_here" does not exist on 127.0.0.1:${cluster.port}`,
        );
        expect(error.details).toMatchObject({ cause: "TARGET_ROLE_MISSING", retryable: false });
        expectNoSecret(error);
      }
    });

    it("refuses an admin connection that may not change the role's password, and changes nothing", async () => {
      const before = await storedVerifier("app");
      const weakUrl = cluster.url("plain", OTHER_PASSWORD);
      const set = await refusal(
        setRolePassword({ adminUrl: weakUrl, role: "app", password: OTHER_PASSWORD }),
      );
      expect(set.details).toMatchObject({
        cause: "TARGET_PERMISSION_DENIED",
        retryable: false,
        sqlstate: "42501",
      });
      expect(set.message).toContain('role "app"');
      expectNoSecret(set);
      const check = await refusal(checkCanRotate({ adminUrl: weakUrl, role: "app" }));
      expect(check.details).toMatchObject({ cause: "TARGET_PERMISSION_DENIED", retryable: false });
      expect(check.message).toContain("neither a superuser nor has CREATEROLE");
      // CREATEROLE does not reach a superuser.
      const superuser = await refusal(
        checkCanRotate({ adminUrl: cluster.url("creator", OTHER_PASSWORD), role: "cluster_admin" }),
      );
      expect(superuser.message).toContain("only a superuser may change");
      expect(await storedVerifier("app")).toBe(before);
    });

    it("follows PostgreSQL's rule for CREATEROLE (the ADMIN option from 16 on)", async () => {
      const creatorUrl = cluster.url("creator", OTHER_PASSWORD);
      const input = { adminUrl: creatorUrl, role: "creator_target" };
      if (cluster.major >= 16) {
        const error = await refusal(checkCanRotate(input));
        expect(error.message).toContain("not the ADMIN option");
        await refusal(setRolePassword({ ...input, password: NEW_PASSWORD }));
        await sql("GRANT creator_target TO creator WITH ADMIN OPTION");
      }
      expect(await checkCanRotate(input)).toEqual({
        host: `127.0.0.1:${cluster.port}`,
        right: "createrole",
      });
      await setRolePassword({ ...input, password: NEW_PASSWORD });
      await loginWorks({ ...input, password: NEW_PASSWORD });
    });

    it("checks without changing anything: a superuser may, a role may change its own", async () => {
      const before = await storedVerifier("app");
      expect(await checkCanRotate({ adminUrl, role: "app" })).toEqual({
        host: `127.0.0.1:${cluster.port}`,
        right: "superuser",
      });
      expect(
        (await checkCanRotate({ adminUrl: cluster.url("app", NEW_PASSWORD), role: "app" })).right,
      ).toBe("self");
      expect(await storedVerifier("app")).toBe(before);
      const nologin = await refusal(checkCanRotate({ adminUrl, role: "group_only" }));
      expect(nologin.details).toMatchObject({ cause: "TARGET_ROLE_NOLOGIN", retryable: false });
    });

    it("refuses a wrong admin password without repeating any of the admin URL's userinfo", async () => {
      const wrong = cluster.url("cluster_admin", "fake-wrong-admin-canary");
      const error = await refusal(checkCanRotate({ adminUrl: wrong, role: "app" }));
      expect(error.details).toMatchObject({
        cause: "TARGET_LOGIN_REFUSED",
        retryable: false,
        sqlstate: "28P01",
      });
      expect(error.message).toContain("admin connection string");
      expectNoSecret(error, "fake-wrong-admin-canary", "cluster_admin");
    });

    it("calls a server that is down retryable", async () => {
      const port = await freePort();
      const down = `postgres://cluster_admin:${ADMIN_PASSWORD}@127.0.0.1:${port}/postgres`;
      for (const call of [
        () => setRolePassword({ adminUrl: down, role: "app", password: NEW_PASSWORD }),
        () => loginWorks({ adminUrl: down, role: "app", password: NEW_PASSWORD }),
        () => checkCanRotate({ adminUrl: down, role: "app" }),
      ]) {
        const error = await refusal(call());
        expect(error.details).toMatchObject({ cause: "TARGET_UNAVAILABLE", retryable: true });
        expect(error.message).toContain(`cannot reach PostgreSQL at 127.0.0.1:${port}`);
        expect(error.message).toContain("ECONNREFUSED");
        expectNoSecret(error);
      }
    });

    it("gives up on a server that never answers, retryable", async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => sockets.add(socket));
      const port = await listenOn(silent);
      try {
        const url = `postgres://cluster_admin:${ADMIN_PASSWORD}@127.0.0.1:${port}/postgres`;
        const error = await refusal(checkCanRotate({ adminUrl: url, role: "app", timeoutMs: 300 }));
        expect(error.details).toMatchObject({ retryable: true });
        expect(["TARGET_TIMEOUT", "TARGET_UNAVAILABLE"]).toContain(error.details["cause"]);
        expectNoSecret(error);
        expect(sockets.size).toBe(1); // it did connect, and then waited
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it("times out a statement stuck behind a lock, retryable", async () => {
      const holder = new pg.Client({ connectionString: adminUrl });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        await holder.query(`ALTER ROLE plain PASSWORD '${OTHER_PASSWORD}'`);
        const error = await refusal(
          setRolePassword({ adminUrl, role: "plain", password: NEW_PASSWORD, timeoutMs: 500 }),
        );
        expect(error.details).toMatchObject({ cause: "TARGET_TIMEOUT", retryable: true });
        expectNoSecret(error);
      } finally {
        await holder.query("ROLLBACK");
        await holder.end();
      }
      await loginWorks({ adminUrl, role: "plain", password: OTHER_PASSWORD });
    });

    it("refuses a malformed admin URL without echoing it", async () => {
      for (const bad of [
        `mysql://root:${ADMIN_PASSWORD}@127.0.0.1/db`,
        `${ADMIN_PASSWORD} is not a URL`,
        `postgres://root:${ADMIN_PASSWORD}@[::1/db`,
        `postgres:///db?password=${ADMIN_PASSWORD}`,
      ]) {
        for (const call of [
          () => setRolePassword({ adminUrl: bad, role: "app", password: NEW_PASSWORD }),
          () => loginWorks({ adminUrl: bad, role: "app", password: NEW_PASSWORD }),
          () => checkCanRotate({ adminUrl: bad, role: "app" }),
        ]) {
          const error = await refusal(call());
          expect(error.errorCode).toBe("INVALID_REQUEST");
          expect(error.details).toMatchObject({ cause: "TARGET_URL_INVALID", retryable: false });
          expect(error.message).toContain('role "app"');
          expectNoSecret(error, "mysql", "root");
        }
      }
    });

    it("refuses a password it cannot hash as PostgreSQL would, without echoing it", async () => {
      const error = await refusal(
        setRolePassword({ adminUrl, role: "app", password: `${NEW_PASSWORD}\u00e9` }),
      );
      expect(error.errorCode).toBe("INVALID_REQUEST");
      expectNoSecret(error);
      await loginWorks({ adminUrl, role: "app", password: NEW_PASSWORD });
    });
  },
);
