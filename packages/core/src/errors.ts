/**
 * Coffer's error contract (SPEC §7): every failure leaves as
 * `{ "error": { "errorCode", "message", "details" } }` with one HTTP status per code.
 * Messages say what was wrong and never carry a secret value, key or token:
 * build them from names, URIs and positions only.
 */

export const ERROR_CODES = [
  "INVALID_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "INVALID_STATUS",
  "UNPROCESSABLE_ENTITY",
  "RATE_LIMITED",
  "INTERNAL_SERVER_ERROR",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one place where an error code becomes an HTTP status. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_STATUS: 409,
  UNPROCESSABLE_ENTITY: 422,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
};

/**
 * Failures the SPEC's codes have no status for: an INTERNAL_SERVER_ERROR whose
 * `details.cause` is listed here leaves with this status instead of 500 (as the gateway's
 * backend failures leave with 502). The status still comes from this file only.
 */
export const CAUSE_STATUS: Readonly<Record<string, number>> = {
  /** The database could not be reached or lost the connection; the call did not take effect. */
  DATABASE_UNAVAILABLE: 503,
};

export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface ErrorBody {
  error: { errorCode: ErrorCode; message: string; details: ErrorDetails };
}

/** A failure Coffer means to report, with its code, a safe message and structured details. */
export class CofferError extends Error {
  readonly errorCode: ErrorCode;
  readonly details: ErrorDetails;

  constructor(errorCode: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = "CofferError";
    this.errorCode = errorCode;
    this.details = details;
  }

  get httpStatus(): number {
    const cause = this.details["cause"];
    const special =
      this.errorCode === "INTERNAL_SERVER_ERROR" &&
      typeof cause === "string" &&
      Object.hasOwn(CAUSE_STATUS, cause)
        ? CAUSE_STATUS[cause]
        : undefined;
    return special ?? HTTP_STATUS[this.errorCode];
  }

  toBody(): ErrorBody {
    return { error: { errorCode: this.errorCode, message: this.message, details: this.details } };
  }
}

export const invalidRequest = (message: string, details?: ErrorDetails): CofferError =>
  new CofferError("INVALID_REQUEST", message, details);
export const unauthorized = (message: string, details?: ErrorDetails): CofferError =>
  new CofferError("UNAUTHORIZED", message, details);
export const forbidden = (message: string, details?: ErrorDetails): CofferError =>
  new CofferError("FORBIDDEN", message, details);
export const notFound = (message: string, details?: ErrorDetails): CofferError =>
  new CofferError("NOT_FOUND", message, details);
export const invalidStatus = (message: string, details?: ErrorDetails): CofferError =>
  new CofferError("INVALID_STATUS", message, details);
export const unprocessable = (message: string, details?: ErrorDetails): CofferError =>
  new CofferError("UNPROCESSABLE_ENTITY", message, details);

export function isCofferError(value: unknown): value is CofferError {
  return value instanceof CofferError;
}

/**
 * Turns anything thrown into the SPEC's error body. A CofferError keeps its code, message
 * and details; anything else becomes a generic INTERNAL_SERVER_ERROR, because its message
 * could hold anything (a driver error quoting a parameter, say).
 */
export function toErrorBody(thrown: unknown): ErrorBody {
  if (isCofferError(thrown)) return thrown.toBody();
  return {
    error: { errorCode: "INTERNAL_SERVER_ERROR", message: "internal error", details: {} },
  };
}
