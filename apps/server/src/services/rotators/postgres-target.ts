/**
 * The PostgreSQL server a `postgres` rotator changes (SPEC §11): set a role's password with the
 * admin connection string, log in as the role to test it, and a dry run's check that changes
 * nothing. The password leaves Coffer only as a SCRAM verifier in ALTER ROLE (scram.ts) and
 * inside SCRAM's exchange at login.
 *
 * Every failure is a CofferError built here from error codes, never from the driver's or the
 * server's words (they can quote the connection string): it names the role and the host, never
 * the password, the verifier or the admin URL's user and password. `details.retryable` says
 * whether trying again may help: yes for a server that cannot be reached, is starting or
 * stopping, or timed out; no for a missing role, a refused login, missing privileges or a bad
 * admin URL. `details.cause` names the case; `details.sqlstate` the server's code, when any.
 */
import { CofferError, invalidRequest, notFound, unprocessable } from "@coffer/core";
import pg from "pg";
import { isConnectionFailure } from "../../db/connection-loss.js";
import { checkScramPassword, scramVerifier } from "./scram.js";

/** Each connection, statement and the whole closing get this long unless told otherwise. */
export const TARGET_TIMEOUT_MS = 10_000;

/** Role and database names as core's rotator config accepts them. */
const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;
const MAX_URL_LENGTH = 4096;

export interface TargetInput {
  /** The admin connection string (`postgres://` or `postgresql://`), read from its secret. */
  adminUrl: string;
  role: string;
  timeoutMs?: number;
}

export interface PasswordInput extends TargetInput {
  password: string;
}

export interface LoginInput extends PasswordInput {
  /** The database to log in to; default the admin URL's. */
  database?: string;
}

/** Why the admin may change the role's password. */
export type RotateRight = "self" | "superuser" | "createrole";

export interface CanRotate {
  host: string;
  right: RotateRight;
}

interface Target {
  url: URL;
  /** `host:port` for messages: no user, no password, no database. */
  host: string;
  role: string;
  timeoutMs: number;
}

/** Sets the role's password (as a SCRAM verifier). Setting the same password again is harmless. */
export async function setRolePassword(input: PasswordInput): Promise<void> {
  const target = parseTarget(input);
  const verifier = scramVerifier(input.password); // refuses a password it cannot hash
  await withClient(target, target.url.href, "admin", async (client) => {
    await client.query(
      `ALTER ROLE ${pg.escapeIdentifier(target.role)} PASSWORD ${pg.escapeLiteral(verifier)}`,
    );
  });
}

/**
 * Logs in to the admin URL's host and port as the role with the password and runs a query;
 * throws when that fails. On PostgreSQL 16 and later it also makes sure a password was what
 * let the role in (`system_user`): a server that trusts the connection proves nothing.
 */
export async function loginWorks(input: LoginInput): Promise<void> {
  const target = parseTarget(input);
  checkScramPassword(input.password);
  if (input.database !== undefined && !IDENTIFIER_RE.test(input.database))
    throw invalidRequest(`the database name for role "${target.role}" is not a valid identifier`, {
      cause: "TARGET_CONFIG_INVALID",
      retryable: false,
    });
  const url = new URL(target.url.href);
  url.username = encodeURIComponent(target.role);
  url.password = encodeURIComponent(input.password);
  // Query parameters win over the userinfo in pg's parsing: the admin's must not come along.
  url.searchParams.delete("user");
  url.searchParams.delete("password");
  if (input.database !== undefined) {
    url.pathname = `/${input.database}`;
    url.searchParams.delete("database");
  }
  await withClient(target, url.href, "role", async (client) => {
    const version = await client.query<{ v: number }>(
      "SELECT current_setting('server_version_num')::int AS v",
    );
    if ((version.rows[0]?.v ?? 0) < 160000) return; // no system_user before 16
    const auth = await client.query<{ method: string | null }>(
      "SELECT split_part(system_user, ':', 1) AS method",
    );
    const method = auth.rows[0]?.method ?? "trust";
    if (!PASSWORD_METHODS.has(method))
      throw unprocessable(
        `role "${target.role}" logged in to ${target.host} without its password being checked (${method} authentication): the new password cannot be tested`,
        {
          cause: "TARGET_PASSWORD_UNCHECKED",
          retryable: false,
          role: target.role,
          host: target.host,
        },
      );
  });
}

/** Authentication methods that check the password sent (pg_hba.conf). */
const PASSWORD_METHODS = new Set([
  "scram-sha-256",
  "md5",
  "password",
  "ldap",
  "radius",
  "pam",
  "bsd",
]);

/**
 * The dry run's check, which changes nothing: the admin logs in, the role exists and may log
 * in, and the admin may change its password. The rule, PostgreSQL's for ALTER ROLE … PASSWORD:
 * a role may always change its own; a superuser any; only a superuser a superuser's; otherwise
 * CREATEROLE, and from PostgreSQL 16 on also the ADMIN option on the role (pg_has_role's
 * 'MEMBER WITH ADMIN OPTION', which follows membership chains as the server does).
 */
export async function checkCanRotate(input: TargetInput): Promise<CanRotate> {
  const target = parseTarget(input);
  return withClient(target, target.url.href, "admin", async (client) => {
    const result = await client.query<RightsRow>(RIGHTS_SQL, [target.role]);
    const row = result.rows[0];
    if (row === undefined) throw roleMissing(target);
    if (!row.target_login)
      throw unprocessable(
        `role "${target.role}" on ${target.host} cannot log in (NOLOGIN): a new password could not be tested`,
        { cause: "TARGET_ROLE_NOLOGIN", retryable: false, role: target.role, host: target.host },
      );
    const right = rotateRight(row);
    if (right === undefined) throw permissionDenied(target, rightsHint(row));
    return { host: target.host, right };
  });
}

interface RightsRow {
  version: number;
  is_self: boolean;
  admin_super: boolean;
  admin_createrole: boolean;
  admin_option: boolean;
  target_super: boolean;
  target_login: boolean;
}

const RIGHTS_SQL = `
  SELECT current_setting('server_version_num')::int AS version,
         t.rolname = current_user AS is_self,
         a.rolsuper AS admin_super,
         a.rolcreaterole AS admin_createrole,
         pg_has_role(current_user, t.oid, 'MEMBER WITH ADMIN OPTION') AS admin_option,
         t.rolsuper AS target_super,
         t.rolcanlogin AS target_login
    FROM pg_roles t, pg_roles a
   WHERE t.rolname = $1 AND a.rolname = current_user`;

function rotateRight(row: RightsRow): RotateRight | undefined {
  if (row.is_self) return "self";
  if (row.admin_super) return "superuser";
  if (row.target_super || !row.admin_createrole) return undefined;
  if (row.version >= 160000 && !row.admin_option) return undefined;
  return "createrole";
}

function rightsHint(row: RightsRow): string {
  if (row.target_super) return "the role is a superuser, which only a superuser may change";
  if (!row.admin_createrole) return "the admin is neither a superuser nor has CREATEROLE";
  return "the admin has CREATEROLE but not the ADMIN option on the role (PostgreSQL 16 and later)";
}

/** Validates the input; refuses a malformed admin URL without echoing any of it. */
function parseTarget(input: TargetInput): Target {
  const role = input.role;
  if (typeof role !== "string" || !IDENTIFIER_RE.test(role))
    throw invalidRequest("the role name is not a valid PostgreSQL identifier", {
      cause: "TARGET_CONFIG_INVALID",
      retryable: false,
    });
  const timeoutMs = input.timeoutMs ?? TARGET_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)
    throw invalidRequest("the timeout must be 1 to 600000 ms", {
      cause: "TARGET_CONFIG_INVALID",
      retryable: false,
    });
  const url = parseAdminUrl(input.adminUrl);
  if (url === undefined)
    throw invalidRequest(
      `the admin connection string for role "${role}" is not a postgres:// or postgresql:// URL with a host`,
      { cause: "TARGET_URL_INVALID", retryable: false, role },
    );
  const hostParam = url.searchParams.get("host");
  const port = url.searchParams.get("port") ?? (url.port || "5432");
  const host = `${hostParam ?? url.hostname}:${port}`;
  return { url, host, role, timeoutMs };
}

function parseAdminUrl(adminUrl: unknown): URL | undefined {
  if (typeof adminUrl !== "string" || adminUrl.length > MAX_URL_LENGTH) return undefined;
  if (!/^postgres(ql)?:\/\//i.test(adminUrl)) return undefined;
  let url: URL;
  try {
    url = new URL(adminUrl);
  } catch {
    return undefined;
  }
  if (url.hostname === "" && !url.searchParams.has("host")) return undefined;
  return url;
}

type Login = "admin" | "role";

/** Connects, runs `fn`, and always ends the client; any failure becomes a CofferError. */
async function withClient<T>(
  target: Target,
  connectionString: string,
  login: Login,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: target.timeoutMs,
    statement_timeout: target.timeoutMs,
    query_timeout: target.timeoutMs,
    lock_timeout: target.timeoutMs,
    application_name: "coffer-rotator",
  });
  // A connection lost between calls is reported by the next call; this only keeps the
  // client's error event from being unhandled.
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } catch (error) {
    throw error instanceof CofferError ? error : targetFailure(error, target, login);
  } finally {
    await endWithin(client, target.timeoutMs);
  }
}

/** Ends the client, giving up waiting (the socket is left to close) after `timeoutMs`. */
async function endWithin(client: pg.Client, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}

/** SQLSTATEs of a refused login: invalid_password, invalid_authorization_specification. */
const LOGIN_REFUSED = new Set(["28P01", "28000"]);
/** Worth another try: the server's resources, a conflict with another transaction. */
const TRANSIENT = /^(53|40)/;
const TIMEOUT_MESSAGES =
  /^(timeout expired|Query read timeout|Connection terminated due to connection timeout)/;

/** The CofferError for a driver or server error: built from codes only. */
function targetFailure(error: unknown, target: Target, login: Login): CofferError {
  const code = (error as { code?: unknown } | null)?.code;
  const sqlstate = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const base = { role: target.role, host: target.host, ...(sqlstate ? { sqlstate } : {}) };
  const who = login === "admin" ? "the admin connection" : `role "${target.role}"`;
  if (sqlstate !== undefined && LOGIN_REFUSED.has(sqlstate))
    return unprocessable(
      login === "admin"
        ? `${target.host} refused the admin login for role "${target.role}": check the user and password of the admin connection string`
        : `role "${target.role}" could not log in to ${target.host}: the password was refused`,
      { ...base, cause: "TARGET_LOGIN_REFUSED", retryable: false },
    );
  if (sqlstate === "42704") return roleMissing(target, base);
  if (sqlstate === "42501" && login !== "admin")
    return unprocessable(
      `role "${target.role}" logged in to ${target.host} but may not connect to the database (insufficient privilege)`,
      { ...base, cause: "TARGET_PERMISSION_DENIED", retryable: false },
    );
  if (sqlstate === "42501") return permissionDenied(target, "insufficient privilege", base);
  if (sqlstate === "3D000")
    return notFound(`the database ${who} names does not exist on ${target.host}`, {
      ...base,
      cause: "TARGET_DATABASE_MISSING",
      retryable: false,
    });
  const message = error instanceof Error ? error.message : "";
  if (sqlstate === "57014" || sqlstate === "55P03" || TIMEOUT_MESSAGES.test(message))
    return unprocessable(`PostgreSQL at ${target.host} did not answer ${who} in time`, {
      ...base,
      cause: "TARGET_TIMEOUT",
      retryable: true,
    });
  if (isConnectionFailure(error)) {
    const reason = typeof code === "string" && sqlstate === undefined ? ` (${code})` : "";
    return unprocessable(`cannot reach PostgreSQL at ${target.host} for ${who}${reason}`, {
      ...base,
      cause: "TARGET_UNAVAILABLE",
      retryable: true,
    });
  }
  return unprocessable(
    `PostgreSQL at ${target.host} refused ${who}${sqlstate ? ` (SQLSTATE ${sqlstate})` : ""}`,
    {
      ...base,
      cause: "TARGET_ERROR",
      retryable: sqlstate !== undefined && TRANSIENT.test(sqlstate),
    },
  );
}

function roleMissing(target: Target, details: Record<string, unknown> = {}): CofferError {
  return notFound(`role "${target.role}" does not exist on ${target.host}`, {
    ...details,
    role: target.role,
    host: target.host,
    cause: "TARGET_ROLE_MISSING",
    retryable: false,
  });
}

function permissionDenied(
  target: Target,
  reason: string,
  details: Record<string, unknown> = {},
): CofferError {
  return unprocessable(
    `the admin connection may not change the password of role "${target.role}" on ${target.host}: ${reason}`,
    {
      ...details,
      role: target.role,
      host: target.host,
      cause: "TARGET_PERMISSION_DENIED",
      retryable: false,
    },
  );
}
