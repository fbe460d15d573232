/** Which failures are the connection's (a 503) and which are the statement's (passed on). */
import { describe, expect, it } from "vitest";
import {
  commitOutcomeUnknown,
  databaseUnavailable,
  isConnectionFailure,
} from "./connection-loss.js";

const withCode = (code: string, message = "x"): Error =>
  Object.assign(new Error(message), { code });

describe("connection failures", () => {
  it.each([
    ["admin_shutdown (pg_terminate_backend)", withCode("57P01")],
    ["crash_shutdown", withCode("57P02")],
    ["cannot_connect_now", withCode("57P03")],
    ["too_many_connections", withCode("53300")],
    ["connection_failure (class 08)", withCode("08006")],
    ["protocol violation (class 08)", withCode("08P01")],
    ["refused", withCode("ECONNREFUSED")],
    ["reset", withCode("ECONNRESET")],
    ["broken pipe", withCode("EPIPE")],
    ["timed out", withCode("ETIMEDOUT")],
    ["ended", new Error("Connection terminated unexpectedly")],
    ["not queryable", new Error("Client has encountered a connection error and is not queryable")],
    ["pool wait", new Error("timeout exceeded when trying to connect")],
    ["connect timeout", new Error("Connection terminated due to connection timeout")],
    ["wrapped", new Error("outer", { cause: withCode("ECONNREFUSED") })],
    ["several addresses", new AggregateError([withCode("ECONNREFUSED")], "all failed")],
  ])("%s is a connection failure", (_what, error) => {
    expect(isConnectionFailure(error)).toBe(true);
  });

  it.each([
    ["unique_violation", withCode("23505", 'duplicate key value "fake-x"')],
    ["serialization_failure", withCode("40001")],
    ["syntax_error", withCode("42601")],
    ["database_dropped", withCode("57P04")],
    ["a plain error", new Error("boom")],
    ["not an error", "Connection terminated"],
  ])("%s is not", (_what, error) => {
    expect(isConnectionFailure(error)).toBe(false);
  });

  it("an unavailable database is a 503 that may be retried; a lost COMMIT a 500 that must not", () => {
    const down = databaseUnavailable();
    expect(down.httpStatus).toBe(503);
    expect(down.toBody().error).toMatchObject({
      errorCode: "INTERNAL_SERVER_ERROR",
      details: { cause: "DATABASE_UNAVAILABLE", retryable: true },
    });
    const unknown = commitOutcomeUnknown();
    expect(unknown.httpStatus).toBe(500);
    expect(unknown.message).toMatch(/may or may not have been saved/);
    expect(unknown.details).toEqual({ cause: "DATABASE_COMMIT_UNKNOWN", retryable: false });
  });
});
