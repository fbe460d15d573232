import { describe, expect, it } from "vitest";
import {
  CAUSE_STATUS,
  CofferError,
  ERROR_CODES,
  HTTP_STATUS,
  invalidStatus,
  notFound,
  toErrorBody,
} from "./errors.js";
import { validators } from "./validation.js";

describe("errors", () => {
  it("maps every code to the SPEC's HTTP status", () => {
    expect(HTTP_STATUS).toEqual({
      INVALID_REQUEST: 400,
      UNAUTHORIZED: 401,
      FORBIDDEN: 403,
      NOT_FOUND: 404,
      INVALID_STATUS: 409,
      UNPROCESSABLE_ENTITY: 422,
      RATE_LIMITED: 429,
      INTERNAL_SERVER_ERROR: 500,
    });
    expect(Object.keys(HTTP_STATUS)).toEqual([...ERROR_CODES]);
  });

  it("a CofferError becomes the SPEC's body, which its own schema accepts", () => {
    const error = notFound("secret secret://default/alice/db not found", {
      uri: "secret://default/alice/db",
    });
    expect(error.httpStatus).toBe(404);
    const body = toErrorBody(error);
    expect(body).toEqual({
      error: {
        errorCode: "NOT_FOUND",
        message: "secret secret://default/alice/db not found",
        details: { uri: "secret://default/alice/db" },
      },
    });
    expect(validators.errorBody(body)).toBe(true);
    expect(invalidStatus("stale version").toBody().error.details).toEqual({});
  });

  it("anything else becomes a bare internal error: its message could hold anything", () => {
    const leaky = new Error('duplicate key value violates constraint: value "fake-canary-9f3a"');
    const body = toErrorBody(leaky);
    expect(body).toEqual({
      error: { errorCode: "INTERNAL_SERVER_ERROR", message: "internal error", details: {} },
    });
    expect(JSON.stringify(toErrorBody("fake-canary-9f3a"))).not.toContain("fake-canary");
    expect(validators.errorBody(body)).toBe(true);
  });

  it("the error schema refuses unknown codes and fields", () => {
    expect(
      validators.errorBody({ error: { errorCode: "TEAPOT", message: "x", details: {} } }),
    ).toBe(false);
    expect(
      validators.errorBody({
        error: { errorCode: "NOT_FOUND", message: "x", details: {}, stack: "…" },
      }),
    ).toBe(false);
    expect(validators.errorBody({ error: { errorCode: "NOT_FOUND", message: "x" } })).toBe(false);
  });

  it("an internal error whose cause has a status of its own leaves with it (database down: 503)", () => {
    const down = new CofferError("INTERNAL_SERVER_ERROR", "the database is unavailable", {
      cause: "DATABASE_UNAVAILABLE",
    });
    expect(CAUSE_STATUS["DATABASE_UNAVAILABLE"]).toBe(503);
    expect(down.httpStatus).toBe(503);
    // Only for INTERNAL_SERVER_ERROR, only for a listed cause, never an inherited key.
    expect(new CofferError("NOT_FOUND", "x", { cause: "DATABASE_UNAVAILABLE" }).httpStatus).toBe(
      404,
    );
    expect(new CofferError("INTERNAL_SERVER_ERROR", "x", { cause: "NOT_FOUND" }).httpStatus).toBe(
      500,
    );
    expect(new CofferError("INTERNAL_SERVER_ERROR", "x", { cause: "constructor" }).httpStatus).toBe(
      500,
    );
  });

  it("is an Error with a stable name", () => {
    const error = new CofferError("FORBIDDEN", "no");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("CofferError");
  });
});
