/**
 * The HTTP surface: tRPC at /trpc, /healthz, /readyz, /metrics, the web console at /. Every API
 * response carries `Cache-Control: no-store` and an `x-request-id`, every response the security
 * headers (console-files.ts); every error leaves in the SPEC's format.
 */
import { CofferError, MAX_BATCH_CALLS } from "@coffer/core";
import type { TRPCError } from "@trpc/server";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Actor } from "../auth/actor.js";
import type { Authenticator } from "../auth/authenticate.js";
import { sessionSetCookie } from "../auth/session-cookie.js";
import { createContext, requestIdFrom, type Context } from "../context.js";
import type { Deps } from "../deps.js";
import { latestMigration } from "../db/migrate.js";
import { appRouter } from "../routers/_app.js";
import type { Services } from "../services/services.js";
import { cofferErrorOf } from "../trpc.js";
import { consoleFiles, SECURITY_HEADERS } from "./console-files.js";
import { fastPath } from "./fast-path.js";

/** A 64 KiB value can grow six-fold as JSON escapes; nothing else comes close. */
const MAX_BODY_BYTES = 1024 * 1024;
/** /readyz answers "not ready" when the database has not answered within this time. */
const READY_TIMEOUT_MS = 3000;

const PROCEDURES = new Set(Object.keys(appRouter._def.procedures));

/**
 * The procedure label of a call: its name when the API has it, else "unknown". A label
 * per name a caller made up would be a new time series each, before any authentication.
 */
export function procedureLabel(path: string | undefined): string {
  return path !== undefined && PROCEDURES.has(path) ? path : "unknown";
}

function sendError(res: Response, error: CofferError): void {
  res.status(error.httpStatus).json(error.toBody());
}

/**
 * The client's address, the one rule for the failure limiter and the audit log: the socket's
 * peer, or, when the operator names trusted proxies (COFFER_TRUSTED_PROXIES, Express's
 * `trust proxy`), the nearest X-Forwarded-For address that is not one of them.
 */
const clientAddress = (req: Request): string => req.ip ?? "unknown";

/**
 * Calls in a tRPC batch: the procedure names in the path, comma-separated (maybe escaped). The
 * query string is read as tRPC reads it (the first `batch`).
 */
function batchCalls(req: Request): number {
  const at = req.originalUrl.indexOf("?");
  const query = new URLSearchParams(at === -1 ? "" : req.originalUrl.slice(at + 1));
  return query.get("batch") === "1" ? (req.path.match(/,|%2c/gi)?.length ?? 0) + 1 : 1;
}

/**
 * POST bodies are read here, whole (at most MAX_BODY_BYTES), before tRPC: a signed request's
 * signature covers the exact bytes (SPEC §4). tRPC then reads the same text from `req.body`.
 */
const readBody = express.raw({ type: () => true, limit: MAX_BODY_BYTES, inflate: false });

function keepBody(req: Request, res: Response, next: NextFunction): void {
  readBody(req, res, (error?: unknown) => {
    if (error !== undefined) {
      const status = (error as { status?: unknown }).status;
      const tooLarge = (error as { type?: unknown }).type === "entity.too.large";
      const refusal = new CofferError(
        "INVALID_REQUEST",
        tooLarge
          ? `the request body is over ${MAX_BODY_BYTES} bytes`
          : "the request body could not be read (it must be uncompressed JSON)",
      );
      // The SPEC's one status per code: INVALID_REQUEST is 400, whatever the body parser says.
      if (typeof status === "number" && status >= 400 && status < 500) sendError(res, refusal);
      else next(error);
      return;
    }
    if (Buffer.isBuffer(req.body)) {
      res.locals["rawBody"] = req.body;
      req.body = new TextDecoder().decode(req.body);
    }
    next();
  });
}

export interface AppOptions {
  /** Usual calls skip tRPC's adapter (fast-path.ts); off only to compare the two in tests. */
  fastPath?: boolean;
}

export async function createApp(
  deps: Deps,
  services: Services,
  authenticator: Authenticator,
  options: AppOptions = {},
): Promise<express.Express> {
  const app = express();
  const latest = await latestMigration();
  app.disable("x-powered-by");
  app.disable("etag");
  if (deps.config.trustedProxies.length > 0) app.set("trust proxy", deps.config.trustedProxies);

  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader("Cache-Control", "no-store");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const requestId = requestIdFrom(req.headers);
    res.locals["requestId"] = requestId;
    res.setHeader("x-request-id", requestId);
    const started = process.hrtime.bigint();
    const path = req.path; // read now: mounted routers rewrite req.url while they run
    // The path only: a tRPC query carries its input in the query string.
    res.on("finish", () => {
      deps.log.info(
        {
          method: req.method,
          path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          requestId,
        },
        "request",
      );
    });
    next();
  });

  // The API first, in one router mounted once (each mount point re-parses the URL per request).
  const trpc = express.Router();
  // One batch is one authentication: its size is bounded before anything runs.
  const boundBatch = (req: Request, res: Response, next: NextFunction): void => {
    const calls = batchCalls(req);
    if (calls <= MAX_BATCH_CALLS) return next();
    sendError(
      res,
      new CofferError(
        "INVALID_REQUEST",
        `a batch holds at most ${MAX_BATCH_CALLS} calls (this one has ${calls}); split it`,
        { maxCalls: MAX_BATCH_CALLS, calls },
      ),
    );
  };

  // An event stream (a subscription) opens only for an authenticated caller: refused here, the
  // client gets a plain 401 instead of an open stream that errs once it has started.
  const authenticateStream = (req: Request, res: Response, next: NextFunction): void => {
    authenticator
      .authenticate(req.headers, clientAddress(req), {
        method: req.method,
        pathAndQuery: req.originalUrl,
        secure: req.secure,
      })
      .then((actor) => {
        res.locals["actor"] = actor;
        next();
      })
      .catch((error: unknown) => {
        if (error instanceof CofferError) sendError(res, error);
        else next(error);
      });
  };

  // Before any call runs, in one layer (each costs the router a match per request): the batch
  // bound, then for a procedure's path (`/trpc/<name>`), a POST's body or an event stream's
  // caller.
  trpc.use((req, res, next) => {
    boundBatch(req, res, () => {
      if (req.path.length <= 1) return next();
      if (req.method === "POST") return keepBody(req, res, next);
      const get = req.method === "GET" || req.method === "HEAD";
      if (get && req.headers.accept?.includes("text/event-stream")) {
        return authenticateStream(req, res, next);
      }
      next();
    });
  });

  // The same context and error report for both ways into the procedures.
  const context = (req: Request, res: Response): Context =>
    createContext(deps, services, authenticator, {
      headers: req.headers,
      ip: clientAddress(req),
      requestId: String(res.locals["requestId"]),
      method: req.method,
      pathAndQuery: req.originalUrl,
      body: res.locals["rawBody"] as Buffer | undefined,
      secure: req.secure,
      actor: res.locals["actor"] as Actor | undefined,
      sessionCookie: {
        secure: req.secure,
        set: (secret, maxAgeMs) =>
          res.append("Set-Cookie", sessionSetCookie(secret, req.secure, maxAgeMs)),
        clear: () => res.append("Set-Cookie", sessionSetCookie(undefined, req.secure)),
      },
    });
  const onError = (error: TRPCError, path: string | undefined): void => {
    const coffer = cofferErrorOf(error);
    deps.metrics.requests.inc({ procedure: procedureLabel(path), outcome: coffer.errorCode });
    // Never the input: it may hold a value. The cause is logged only for unexpected errors.
    if (coffer.errorCode === "INTERNAL_SERVER_ERROR") {
      deps.log.error({ err: error.cause ?? error, path }, "procedure failed");
    }
  };

  if (options.fastPath !== false) trpc.use(fastPath({ context, onError }));
  trpc.use(
    createExpressMiddleware({
      router: appRouter,
      maxBodySize: MAX_BODY_BYTES,
      maxBatchSize: MAX_BATCH_CALLS,
      createContext: ({ req, res }) => context(req, res),
      onError: ({ error, path }) => onError(error, path),
    }),
  );

  app.use("/trpc", trpc);

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  // Not ready while a trivial query fails or does not answer within READY_TIMEOUT_MS (a
  // database whose connections hang must not hang the probe).
  app.get("/readyz", (_req, res, next) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error("no answer")), READY_TIMEOUT_MS);
    });
    Promise.race([
      deps.db.query<{ version: number | null }>(
        "SELECT max(version) AS version FROM schema_migrations",
      ),
      timeout,
    ])
      .then(([row]) => {
        const ready = row?.version === latest;
        res
          .status(ready ? 200 : 503)
          .json({ status: ready ? "ready" : "not migrated", migration: row?.version ?? null });
      })
      .catch(() => {
        res.status(503).json({ status: "database unreachable" });
      })
      .finally(() => clearTimeout(timer))
      .catch(next);
  });

  app.get("/metrics", (_req, res, next) => {
    deps.metrics.registry
      .metrics()
      .then((text) => {
        res.type(deps.metrics.registry.contentType).send(text);
      })
      .catch(next);
  });

  app.use(consoleFiles(deps.config.consoleDir));

  app.use((_req, res) => {
    sendError(res, new CofferError("NOT_FOUND", "no such route; the API is at /trpc"));
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.log.error({ err: error }, "request failed");
    sendError(
      res,
      error instanceof CofferError
        ? error
        : new CofferError("INTERNAL_SERVER_ERROR", "internal error"),
    );
  });

  return app;
}
