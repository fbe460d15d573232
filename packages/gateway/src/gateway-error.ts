/**
 * Request-time failures of the middleware, in the SPEC's error format
 * (`{ "error": { "errorCode", "message", "details" } }`). A backend failure is a 502: the
 * gateway works, what it depends on does not. The SPEC's codes have none for 502, so the code is
 * INTERNAL_SERVER_ERROR and the backend's own code goes in `details.cause`. Messages name the
 * reference, never a value.
 */
import {
  CofferError,
  type ErrorBody,
  type ErrorCode,
  type ErrorDetails,
  type VaultReference,
} from "@coffer/core";
import type { ErrorRequestHandler } from "express";

export class GatewayError extends CofferError {
  /** 502 when a backend failed; 500 for a bug of the gateway. */
  readonly status: number;

  constructor(status: number, errorCode: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(errorCode, message, details);
    this.name = "GatewayError";
    this.status = status;
  }

  /** Express and http-errors read this. */
  get statusCode(): number {
    return this.status;
  }

  override get httpStatus(): number {
    return this.status;
  }

  /** A reference (by its identity) could not be resolved: 502, the backend's code as the cause. */
  static backendFailed(reference: string, ref: VaultReference, cause: CofferError): GatewayError {
    const prefix = `${reference}: `;
    const reason = cause.message.startsWith(prefix)
      ? cause.message.slice(prefix.length)
      : cause.message;
    return new GatewayError(
      502,
      "INTERNAL_SERVER_ERROR",
      `cannot resolve ${reference}: ${reason}`,
      {
        reference,
        backend: ref.backend,
        cause: cause.errorCode,
      },
    );
  }

  /** Something that should not happen; nothing of the thrown value is shown. */
  static internal(): GatewayError {
    return new GatewayError(500, "INTERNAL_SERVER_ERROR", "internal error in the gateway");
  }
}

/**
 * Renders a GatewayError or any CofferError as the SPEC's JSON error body with its status, and
 * `Cache-Control: no-store`; every other error goes on to the next error handler.
 */
export function errorHandler(): ErrorRequestHandler {
  return function cofferErrorHandler(error: unknown, _req, res, next): void {
    if (!(error instanceof CofferError) || res.headersSent) {
      next(error);
      return;
    }
    const body: ErrorBody = error.toBody();
    res.status(error.httpStatus).set("cache-control", "no-store").json(body);
  };
}
