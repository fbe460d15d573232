/** A schema of its own on the benchmark's PostgreSQL server, so that each run starts clean. */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const POSTGRES_URL =
  process.env["COFFER_BENCH_DATABASE_URL"] ?? "postgres://root@127.0.0.1:5432/test";

/** The URL without its password, for printing. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}

export interface BenchSchema {
  /** POSTGRES_URL with the schema as its search_path. */
  url: string;
  /** The admin connection (for EXPLAIN, fills, counts), ending with drop(). */
  admin: pg.Client;
  name: string;
  drop(): Promise<void>;
}

/** A new schema, or the reason PostgreSQL is unreachable. */
export async function postgresSchema(): Promise<BenchSchema | { unreachable: string }> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    await admin.end().catch(() => undefined);
    return { unreachable: error instanceof Error ? error.message : String(error) };
  }
  const name = `bench_${randomBytes(6).toString("hex")}`;
  await admin.query(`CREATE SCHEMA ${name}`);
  await admin.query(`SET search_path = ${name}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${name}`);
  return {
    url: url.toString(),
    admin,
    name,
    async drop() {
      await admin.query(`DROP SCHEMA ${name} CASCADE`);
      await admin.end();
    },
  };
}
