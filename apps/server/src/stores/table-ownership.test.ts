/**
 * Each table is named in SQL by one store only (README, "The parts"): this scans the server's
 * source (tests, test helpers and db/ excepted) for FROM/JOIN/INTO/UPDATE/TABLE <table> and
 * fails on a table named outside its owner, or a table no store owns.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The owner of each table: a module, or a folder (ending in `/`). */
const OWNERS: Record<string, string> = {
  secrets: "stores/secret-store.ts",
  secret_versions: "stores/secret-store.ts",
  principals: "stores/principal-store.ts",
  team_members: "stores/principal-store.ts",
  grants: "stores/principal-store.ts",
  tokens: "stores/credential-store.ts",
  access_keys: "stores/credential-store.ts",
  signature_replays: "stores/credential-store.ts",
  // The audit store's home is audit/: its seal and hash chain live with its tables.
  audit_events: "audit/",
  audit_chain_head: "audit/",
  job_runs: "stores/job-store.ts",
  protection_keys: "stores/key-store.ts",
  org: "stores/key-store.ts",
  oidc_trust_policies: "stores/trust-policy-store.ts",
  rotators: "stores/rotation-store.ts",
  rotation_policies: "stores/rotation-store.ts",
  rotation_jobs: "stores/rotation-job-store.ts",
  rotation_job_steps: "stores/rotation-job-store.ts",
  hooks: "stores/hook-store.ts",
  automations: "stores/hook-store.ts",
  hook_outbox: "stores/delivery-store.ts",
  hook_events: "stores/delivery-store.ts",
  hook_deliveries: "stores/delivery-store.ts",
  hook_delivery_attempts: "stores/delivery-store.ts",
  console_sessions: "stores/session-store.ts",
};

/**
 * Files allowed to name a table they do not own, each with its reason. Keep it short: a store
 * that needs another's table in one statement uses a SQL fragment the owner exports.
 */
const ALLOWED: readonly { file: string; table: string; reason: string }[] = [];

/** Where the schema and the database's own machinery live: they name every table. */
const EXEMPT_DIRS = ["db/"];
const isTestFile = (file: string): boolean =>
  /\.test\.ts$/.test(file) || /(^|\/)test-[^/]*\.ts$/.test(file);

const SQL_TABLE_RE = /\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+(?:ONLY\s+)?([a-z_][a-z0-9_]*)\b/g;

/** The tables of `tables` that `source` names in SQL. */
function tablesNamed(source: string, tables: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  for (const match of source.matchAll(SQL_TABLE_RE)) {
    if (tables.has(match[1]!)) found.add(match[1]!);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

function migrationTables(): Set<string> {
  const dir = path.join(SRC, "db", "migrations");
  const sql = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .map((f) => readFileSync(path.join(dir, f), "utf8"))
    .join("\n");
  const created = [...sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)/g)];
  const dropped = new Set(
    [...sql.matchAll(/DROP TABLE (?:IF EXISTS )?([a-z_][a-z0-9_]*)/g)].map((m) => m[1]!),
  );
  return new Set(created.map((m) => m[1]!).filter((table) => !dropped.has(table)));
}

const owns = (owner: string, file: string): boolean =>
  owner.endsWith("/") ? file.startsWith(owner) : file === owner;

describe("table ownership", () => {
  const tables = migrationTables();

  it("finds the tables a statement names (and not words in prose)", () => {
    const named = tablesNamed(
      "DELETE FROM grants WHERE x; SELECT 1 FROM secrets s JOIN principals p; read from tokens",
      tables,
    );
    expect([...named].sort()).toEqual(["grants", "principals", "secrets"]);
  });

  it("gives every table of the schema an owner", () => {
    expect(tables.size).toBeGreaterThan(10);
    expect([...tables].filter((t) => OWNERS[t] === undefined)).toEqual([]);
  });

  it("names each table only in its owner", () => {
    const outside: string[] = [];
    for (const full of sourceFiles(SRC)) {
      const file = path.relative(SRC, full).split(path.sep).join("/");
      if (isTestFile(file) || EXEMPT_DIRS.some((d) => file.startsWith(d))) continue;
      for (const table of tablesNamed(readFileSync(full, "utf8"), tables)) {
        if (owns(OWNERS[table] ?? "", file)) continue;
        if (ALLOWED.some((a) => a.file === file && a.table === table)) continue;
        outside.push(`${file} names ${table} (owner: ${OWNERS[table] ?? "none"})`);
      }
    }
    expect(outside).toEqual([]);
  });
});
