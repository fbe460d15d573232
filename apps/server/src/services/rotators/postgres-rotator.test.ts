/**
 * The `postgres` rotator end to end (SPEC §11): a Coffer server, its executor, and a throwaway
 * PostgreSQL cluster that checks passwords (test-kit's startPgCluster). After a rotation the
 * old password fails and the new one connects; a failed test leaves the old password working
 * and nothing promoted; a rollback sets the previous password back; a dry run changes nothing;
 * the passwords never show in the job log, the audit trail or the cluster's statement log.
 */
import { pgClusterUnavailable, refusal, startPgCluster, type PgCluster } from "@coffer/test-kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RotationExecutor } from "../../jobs/rotation-executor.js";
import { callerAs, capturedLogger, serverForSuite } from "../../test-support.js";

const unavailable = pgClusterUnavailable();
const FIRST_PASSWORD = "fake-first-password-canary-4Tq";

describe.skipIf(unavailable !== undefined)(
  `postgres rotator end to end${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    // A jitter of 0: a retry is due at once. Every log line is kept (see the last test).
    const logs = capturedLogger();
    const suite = serverForSuite("pglite", { rotation: { random: () => 0 }, log: logs.log });
    /** Every password the tests saw, for the last test. */
    const passwords = new Set<string>([FIRST_PASSWORD]);
    let cluster: PgCluster;
    let admin: ReturnType<typeof callerAs>;
    let runner: RotationExecutor;
    let role = 0;

    const settle = async () => {
      for (let i = 0; i < 20 && (await runner.tick()) > 0; i++);
    };
    const latest = async (secret: string) => (await admin.rotation.jobs({ secret })).items[0]!;
    const reveal = async (secret: string, stage?: "previous" | "pending") => {
      const { value } = await admin.secret.reveal(stage ? { secret, stage } : { secret });
      passwords.add(value);
      if (value.startsWith("{")) {
        for (const field of Object.values(JSON.parse(value) as Record<string, string>)) {
          if (field.length >= 8) passwords.add(field); // the password, not `app_1`
        }
      }
      return value;
    };

    async function sql(text: string): Promise<void> {
      const client = new pg.Client({ connectionString: cluster.url() });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    }

    /** Whether `user` logs in with `password` (the cluster checks every password). */
    async function logsIn(user: string, password: string, database = "postgres") {
      const client = new pg.Client({ connectionString: cluster.url(user, password, database) });
      try {
        await client.connect();
        await client.query("SELECT 1");
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    }

    /** A fresh role with FIRST_PASSWORD, a secret holding it, a rotator and a policy. */
    async function rotatedRole(options: { targets?: string[]; database?: string } = {}) {
      const name = `app_${++role}`;
      await sql(`CREATE ROLE ${name} LOGIN PASSWORD '${FIRST_PASSWORD}'`);
      const value = options.targets
        ? JSON.stringify({ user: name, [options.targets[0]!]: FIRST_PASSWORD })
        : FIRST_PASSWORD;
      await admin.secret.create({ secret: name, value });
      await admin.rotator.create({
        name: `pg_${name}`,
        kind: "postgres",
        postgres: {
          adminSecret: "pg_admin",
          role: name,
          ...(options.database ? { database: options.database } : {}),
        },
      });
      await admin.rotation.configure({
        secret: name,
        rotator: `pg_${name}`,
        auto: false,
        maxAttempts: 2,
        generate: { length: 32, excludePunctuation: true },
        ...(options.targets ? { targets: options.targets } : {}),
      });
      return name;
    }

    const passwordIn = (value: string, key?: string) =>
      key ? (JSON.parse(value) as Record<string, string>)[key]! : value;

    beforeAll(async () => {
      cluster = await startPgCluster();
      admin = callerAs(suite.server, suite.admin);
      runner = new RotationExecutor(suite.server.deps, suite.server.services.rotationEngine, {
        owner: "pg",
      });
      await admin.secret.create({ secret: "pg_admin", value: cluster.url() });
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it("rotates the role's password: the new one connects, the old one fails", async () => {
      const name = await rotatedRole();
      await admin.rotation.run({ secret: name });
      await settle();
      expect(await latest(name)).toMatchObject({ state: "succeeded" });
      const now = await reveal(name);
      expect(now).not.toBe(FIRST_PASSWORD);
      expect(await logsIn(name, now)).toBe(true);
      expect(await logsIn(name, FIRST_PASSWORD)).toBe(false);
      expect(await reveal(name, "previous")).toBe(FIRST_PASSWORD);
      // No password in the job's log, the audit trail or the server's statement log.
      const audit = await suite.server.deps.db.query("SELECT details FROM audit_events");
      const shown = JSON.stringify([await latest(name), audit]) + cluster.log();
      for (const password of [now, FIRST_PASSWORD]) expect(shown).not.toContain(password);
    });

    it("rotates the one target key of a JSON value", async () => {
      const name = await rotatedRole({ targets: ["password"] });
      await admin.rotation.run({ secret: name });
      await settle();
      const value = JSON.parse(await reveal(name)) as Record<string, string>;
      expect(value["user"]).toBe(name);
      expect(await logsIn(name, passwordIn(await reveal(name), "password"))).toBe(true);
      expect(await logsIn(name, FIRST_PASSWORD)).toBe(false);
    });

    it("a failed test leaves the old password working and promotes nothing", async () => {
      // The test step logs in to a database the role may not connect to: `set` passes, `test`
      // fails for good, and the revert puts the old password back.
      await sql("CREATE DATABASE closed_db");
      await sql("REVOKE CONNECT ON DATABASE closed_db FROM PUBLIC");
      const name = await rotatedRole({ database: "closed_db" });
      await admin.rotation.run({ secret: name });
      await settle();
      const job = await latest(name);
      expect(job.state).toBe("failed");
      expect(job.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
        "create:done",
        "set:done",
        "test:failed",
        "revert:done",
      ]);
      expect(job.error).toContain(name);
      expect(await reveal(name)).toBe(FIRST_PASSWORD);
      expect(await logsIn(name, FIRST_PASSWORD)).toBe(true);
      expect(
        (await refusal(admin.secret.reveal({ secret: name, stage: "pending" }))).errorCode,
      ).toBe("NOT_FOUND");
    });

    it("rolls back: the previous password is set back and becomes current", async () => {
      const name = await rotatedRole();
      await admin.rotation.run({ secret: name });
      await settle();
      const rotated = await reveal(name);
      await admin.rotation.rollback({ secret: name });
      await settle();
      expect(await latest(name)).toMatchObject({ state: "rolled_back" });
      expect(await reveal(name)).toBe(FIRST_PASSWORD);
      expect(await logsIn(name, FIRST_PASSWORD)).toBe(true);
      expect(await logsIn(name, rotated)).toBe(false);
    });

    it("a dry run checks the admin's rights and the current password, and changes nothing", async () => {
      const name = await rotatedRole();
      await admin.rotation.test({ secret: name });
      await settle();
      expect(await latest(name)).toMatchObject({ state: "succeeded", mode: "dryRun" });
      expect(await reveal(name)).toBe(FIRST_PASSWORD);
      expect(await logsIn(name, FIRST_PASSWORD)).toBe(true);
      // A current value that no longer logs in fails the dry run, naming the role.
      await sql(`ALTER ROLE ${name} PASSWORD 'fake-changed-behind-coffer'`);
      await admin.rotation.test({ secret: name });
      await settle();
      const failed = await latest(name);
      expect(failed).toMatchObject({ state: "failed", mode: "dryRun" });
      expect(failed.error).toContain(name);
    });

    it("never logs a password or the admin connection string, failures included", () => {
      const text = logs.text();
      expect(text).toContain("a rotation step failed"); // the failing cases above were logged
      for (const password of [...passwords, cluster.password]) {
        expect(text).not.toContain(password);
      }
    });
  },
);
