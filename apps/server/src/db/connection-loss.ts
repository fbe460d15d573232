/**
 * Telling a lost or refused database connection from a failed statement, and what the caller
 * is told then. A connection failure is the database's state, not the request's fault: the
 * call fails with a 503 (`details.cause` DATABASE_UNAVAILABLE, the status from core's
 * CAUSE_STATUS) and later calls work once the database is back. Only a connection lost at
 * COMMIT leaves the outcome unknown: that one is a 500 that says so, because clients retry a
 * 503 as "not run" and a second put would make a second version.
 */
import { CofferError } from "@coffer/core";

/**
 * SQLSTATEs that end or refuse the connection: class 08 (connection exception) is matched
 * by prefix; admin_shutdown (pg_terminate_backend, a restart), crash_shutdown,
 * cannot_connect_now (starting or stopping), idle_session_timeout, too_many_connections, and
 * idle_in_transaction_session_timeout (FATAL: the server closes the connection).
 */
const CONNECTION_SQLSTATES = new Set(["57P01", "57P02", "57P03", "57P05", "53300", "25P03"]);

/** Socket errors of Node on the way to or from the database. */
const SOCKET_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** The pg driver's own words for a connection that ended, broke or never came. */
const DRIVER_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout expired|timeout exceeded when trying to connect)/;

/** Whether `error` says the connection failed (as opposed to the statement). */
export function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 3) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (/^08[0-9A-Z]{3}$/.test(code) || CONNECTION_SQLSTATES.has(code) || SOCKET_CODES.has(code))
      return true;
  }
  if (DRIVER_MESSAGES.test(error.message)) return true;
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  if (
    error instanceof AggregateError &&
    error.errors.some((e) => isConnectionFailure(e, depth + 1))
  )
    return true;
  return isConnectionFailure(error.cause, depth + 1);
}

/** What a log may say of a connection failure: its code and the driver's or server's words. */
export function failureSummary(error: unknown): { code?: string; message: string } {
  if (!(error instanceof Error)) return { message: "unknown failure" };
  const code = (error as { code?: unknown }).code;
  return typeof code === "string"
    ? { code, message: error.message.slice(0, 200) }
    : { message: error.message.slice(0, 200) };
}

/** The call did not take effect; trying again later is safe. */
export function databaseUnavailable(): CofferError {
  return new CofferError(
    "INTERNAL_SERVER_ERROR",
    "the database is unavailable; try again shortly",
    { cause: "DATABASE_UNAVAILABLE", retryable: true },
  );
}

/** The connection was lost while committing: the change may or may not have been saved. */
export function commitOutcomeUnknown(): CofferError {
  return new CofferError(
    "INTERNAL_SERVER_ERROR",
    "the database connection was lost while saving: the change may or may not have been saved; check before trying again",
    { cause: "DATABASE_COMMIT_UNKNOWN", retryable: false },
  );
}

/**
 * Whether `error` is one of the two above: the database's state, not the call's. A call that
 * failed so must not be run again by the server (unavailable: the next try fails as well;
 * outcome unknown: it may have been saved).
 */
export function isDatabaseFailure(error: unknown): boolean {
  if (!(error instanceof CofferError)) return false;
  const cause = error.details["cause"];
  return cause === "DATABASE_UNAVAILABLE" || cause === "DATABASE_COMMIT_UNKNOWN";
}
