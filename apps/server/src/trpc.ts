/**
 * tRPC, initialised once. Errors: a CofferError keeps its code, message and details; every
 * other error gets a generic message for its kind (tRPC's own messages can quote the request,
 * a JSON parse error for instance). The response carries the SPEC's
 * `{ "error": { "errorCode", "message", "details" } }`, and the same in tRPC's `data`.
 * No stack trace, ever.
 */
import { CofferError, type ErrorCode } from "@coffer/core";
import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import type { Context } from "./context.js";

export const TRPC_CODE: Readonly<Record<ErrorCode, TRPC_ERROR_CODE_KEY>> = {
  INVALID_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  INVALID_STATUS: "CONFLICT",
  UNPROCESSABLE_ENTITY: "UNPROCESSABLE_CONTENT",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
};

const GENERIC: Partial<Record<TRPC_ERROR_CODE_KEY, [ErrorCode, string]>> = {
  PARSE_ERROR: ["INVALID_REQUEST", "the request is not valid JSON"],
  BAD_REQUEST: ["INVALID_REQUEST", "the request is malformed"],
  NOT_FOUND: ["NOT_FOUND", "no such procedure"],
  METHOD_NOT_SUPPORTED: ["INVALID_REQUEST", "this procedure is not called with this HTTP method"],
  PAYLOAD_TOO_LARGE: ["INVALID_REQUEST", "the request is too large"],
  UNSUPPORTED_MEDIA_TYPE: ["INVALID_REQUEST", "the request must be JSON"],
  TOO_MANY_REQUESTS: ["RATE_LIMITED", "too many requests"],
};

/** The CofferError a tRPC error stands for. */
export function cofferErrorOf(error: TRPCError): CofferError {
  if (error.cause instanceof CofferError) return error.cause;
  const [code, message] = GENERIC[error.code] ?? ["INTERNAL_SERVER_ERROR", "internal error"];
  return new CofferError(code, message);
}

const t = initTRPC.context<Context>().create({
  // Subscriptions (the change feed) travel as server-sent events; the pings let a client see a
  // silently dead connection and reconnect. A stream lasts at most 5 minutes: the client then
  // reconnects and authenticates again, so a disabled or expired token, or a revoked grant,
  // stops being heard within that time (a stream works from its caller's rights at its start).
  sse: {
    ping: { enabled: true, intervalMs: 5000 },
    client: { reconnectAfterInactivityMs: 12_000 },
    maxDurationMs: 5 * 60_000,
  },
  errorFormatter({ shape, error }) {
    const coffer = cofferErrorOf(error);
    const body = coffer.toBody().error;
    return {
      errorCode: body.errorCode,
      message: body.message,
      details: body.details,
      code: shape.code,
      data: {
        code: shape.data.code,
        // The adapter answers with this status: a CofferError's own (core decides it, 503 for
        // an unavailable database included); tRPC's for its own errors.
        httpStatus: error.cause instanceof CofferError ? coffer.httpStatus : shape.data.httpStatus,
        path: shape.data.path,
        error: body,
      },
    };
  },
});

/**
 * Around every call, in one middleware (each layer costs a context merge and a promise per
 * call): its duration and success count per procedure (errors are counted in the HTTP layer's
 * onError), and CofferErrors thrown by handlers turned into tRPC errors with the matching status.
 */
const measuredAndMapped = t.middleware(async ({ ctx, path, next }) => {
  const end = ctx.deps.metrics.duration.startTimer({ procedure: path });
  const result = await next();
  end();
  if (result.ok) {
    ctx.deps.metrics.requests.inc({ procedure: path, outcome: "ok" });
  } else if (result.error.cause instanceof CofferError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE[cause.errorCode], message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;
export const publicProcedure = t.procedure.use(measuredAndMapped);

/** The rotator's side of a rotation job: authenticated by a job token alone (SPEC §11). */
export const jobProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const jobToken = await ctx.authenticateJob();
  return next({ ctx: { ...ctx, jobToken } });
});

/** Every call but the health checks: the caller is authenticated first. */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const actor = ctx.actor ?? (await ctx.authenticate());
  return next({ ctx: { ...ctx, actor } });
});
