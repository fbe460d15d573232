/**
 * Filling a server's database fast for the scale benchmarks: the server is opened in this
 * process (`startServer`, jobs off) on the same data directory or schema the measured server
 * uses, one real secret is created through the API, and the rest are copies of its rows written
 * with one INSERT … SELECT generate_series (their values do not decrypt under their names: only
 * `bench_key` is revealed). The measured server runs in its own process afterwards.
 */
import { createCofferClient } from "@coffer/client";
import { readConfig, startServer, type CofferServer } from "@coffer/server";

export const REVEALED = "bench_key";
/** 100 secrets sorted after every fill_ name: the prefix case's worst place in the order. */
export const TAIL_PREFIX = "tail_";
export const TAIL = 100;

export interface Opened {
  server: CofferServer;
  token: string;
}

export async function openInProcess(
  dataDir: string,
  databaseUrl: string | undefined,
  token?: string,
): Promise<Opened> {
  const env: Record<string, string> = {
    COFFER_PORT: "0",
    COFFER_DATA_DIR: dataDir,
    COFFER_LOG_LEVEL: "silent",
  };
  if (databaseUrl !== undefined) env["DATABASE_URL"] = databaseUrl;
  const server = await startServer(readConfig(env, dataDir), { jobs: false });
  const t = server.adminToken ?? token;
  if (t === undefined) throw new Error("no admin token: the database was not fresh");
  return { server, token: t };
}

/** The first secrets, through the API: the revealed one and the tail the prefix finds. */
export async function seed({ server, token }: Opened): Promise<void> {
  const client = createCofferClient({ url: server.url, token, retries: 0 });
  await client.secret.create.mutate({ secret: REVEALED, value: "fake-bench-value" });
  await server.deps.db.query(
    `WITH t AS (SELECT s.*, v.wrapped_data_key, v.ciphertext FROM secrets s
                JOIN secret_versions v ON v.secret_id = s.id AND v.version = 1 WHERE s.name = $1),
     ins AS (INSERT INTO secrets (owner, name, protection_key_id, current_version, last_version, created_by, updated_by)
             SELECT t.owner, $2 || lpad(i::text, 3, '0'), t.protection_key_id, 1, 1, t.created_by, t.updated_by
             FROM t, generate_series(1, $3::int) i RETURNING id)
     INSERT INTO secret_versions (secret_id, version, protection_key_id, wrapped_data_key, ciphertext, created_by)
     SELECT ins.id, 1, t.protection_key_id, t.wrapped_data_key, t.ciphertext, t.created_by FROM ins, t`,
    [REVEALED, TAIL_PREFIX, TAIL],
  );
}

/** Secrets in all. */
export async function countSecrets(server: CofferServer): Promise<number> {
  const [row] = await server.deps.db.query<{ n: number }>("SELECT count(*)::int AS n FROM secrets");
  return row?.n ?? 0;
}

/**
 * Adds fill_NNNNNN secrets until there are `total`, then VACUUM ANALYZEs: the state a database
 * of that size is in once the server's jobs (PGlite) or autovacuum (PostgreSQL) have passed,
 * so that no autovacuum of the rows just inserted runs while the size is measured.
 */
export async function fillTo(server: CofferServer, total: number): Promise<void> {
  const have = await countSecrets(server);
  if (have >= total) return;
  const [row] = await server.deps.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM secrets WHERE name LIKE 'fill\\_%'",
  );
  const from = (row?.n ?? 0) + 1;
  await server.deps.db.query(
    `WITH t AS (SELECT s.*, v.wrapped_data_key, v.ciphertext FROM secrets s
                JOIN secret_versions v ON v.secret_id = s.id AND v.version = 1 WHERE s.name = $1),
     ins AS (INSERT INTO secrets (owner, name, protection_key_id, current_version, last_version, created_by, updated_by)
             SELECT t.owner, 'fill_' || lpad(i::text, 6, '0'), t.protection_key_id, 1, 1, t.created_by, t.updated_by
             FROM t, generate_series($2::int, $3::int) i RETURNING id)
     INSERT INTO secret_versions (secret_id, version, protection_key_id, wrapped_data_key, ciphertext, created_by)
     SELECT ins.id, 1, t.protection_key_id, t.wrapped_data_key, t.ciphertext, t.created_by FROM ins, t`,
    [REVEALED, from, from + total - have - 1],
  );
  await server.deps.db.query("VACUUM ANALYZE");
}
