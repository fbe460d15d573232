/**
 * Assembles the gateway from a checked config: one resolver (one cache, one change-feed
 * subscription) shared by every route's coffer() middleware, one keep-alive Pool per upstream
 * origin, the route table, metrics and the access log. main.ts runs it; tests and benchmarks
 * start it in-process with startGateway.
 *
 * The handler is a plain node:http one, not an Express app: Express (its router, and the
 * prototype it swaps onto every request and response) cut proxied throughput about threefold
 * when measured. The coffer() middleware is Express-shaped but reads only Node's request
 * (`headers`, `url`), so it is called directly; the integration tests keep that honest.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CofferError,
  ReferenceSyntaxError,
  findVaultReferences,
  type GatewayConfig,
  type GatewayRouteConfig,
} from "@coffer/core";
import {
  coffer,
  cofferBackend,
  createResolver,
  envBackend,
  fileBackend,
  type Backend,
  type CofferMiddleware,
  type GatewayOptions,
  type GatewayResolver,
} from "@coffer/gateway";
import type { RequestHandler } from "express";
import { Pool } from "undici";
import {
  ConfigError,
  DEFAULT_HOST,
  DEFAULT_METRICS_PATH,
  DEFAULT_PORT,
  HEALTH_PATH,
} from "./config.js";
import { sendError, sendJson } from "./http-errors.js";
import { createLogger, type Logger } from "./logger.js";
import { NO_ROUTE, createMetrics, type GatewayMetrics } from "./metrics.js";
import { createForward, type Forward } from "./proxy.js";
import { createRouteTable, isForwardablePath } from "./routes.js";

export interface GatewayDeps {
  /** Default: info level to stdout. */
  logger?: Logger;
  /** What the env backend reads. Default: nothing (main passes the process environment). */
  variables?: Readonly<Record<string, string | undefined>>;
  /** The coffer backend's token (COFFER_TOKEN). */
  cofferToken?: string;
  /** Names the config in errors about it (default "config"). */
  configLabel?: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface GatewayApp {
  /** The request handler: give it to any node:http server. */
  handler: Handler;
  resolver: GatewayResolver;
  metrics: GatewayMetrics;
  /** Closes the middlewares, the resolver and the upstream pools (not a server). */
  close(): Promise<void>;
}

interface CompiledRoute {
  path: string;
  /** Runs the coffer middleware (when the route has something to set) then forwards. */
  handle(req: IncomingMessage, res: ServerResponse, rest: string): void;
}

type Fail = (error: unknown, res: ServerResponse, route: string) => void;

export function createGatewayApp(config: GatewayConfig, deps: GatewayDeps = {}): GatewayApp {
  const log = deps.logger ?? createLogger("info");
  const label = deps.configLabel ?? "config";
  const resolver = createResolver({ backends: backendsOf(config, deps), cache: cacheOf(config) });
  const middlewares: CofferMiddleware[] = [];
  const pools = new Map<string, Pool>();
  try {
    checkReferences(config, resolver, label);
    const fail = failureHandler(log);
    const routes = config.routes.map((route, i): CompiledRoute => {
      const forward = forwardOf(route, pools, log);
      const middleware = middlewareOf(config, route, i, resolver, label);
      if (middleware === undefined) {
        return { path: route.path, handle: forward };
      }
      middlewares.push(middleware);
      const run = middleware as RequestHandler as (
        req: IncomingMessage,
        res: ServerResponse,
        next: (error?: unknown) => void,
      ) => void;
      return {
        path: route.path,
        handle(req, res, rest) {
          run(req, res, (error?: unknown) => {
            if (error !== undefined && error !== null) fail(error, res, route.path);
            else forward(req, res, rest);
          });
        },
      };
    });
    return assemble(config, log, fail, resolver, routes, async () => {
      await Promise.allSettled(middlewares.map((m) => m.close()));
      await resolver.close();
      await Promise.allSettled([...pools.values()].map((pool) => pool.destroy()));
    });
  } catch (error) {
    void resolver.close().catch(() => undefined);
    for (const pool of pools.values()) void pool.destroy().catch(() => undefined);
    throw error;
  }
}

function backendsOf(config: GatewayConfig, deps: GatewayDeps): Backend[] {
  const backends: Backend[] = [];
  if (config.env !== undefined && config.env !== false) {
    const options: Parameters<typeof envBackend>[0] = { variables: deps.variables ?? {} };
    if (config.env.prefix !== undefined) options.prefix = config.env.prefix;
    backends.push(envBackend(options));
  }
  if (config.file !== undefined) backends.push(fileBackend({ root: config.file.root }));
  if (config.coffer !== undefined) {
    const options: Parameters<typeof cofferBackend>[0] = { url: config.coffer.url };
    if (deps.cofferToken !== undefined) options.token = deps.cofferToken;
    if (config.coffer.timeoutMs !== undefined) options.timeoutMs = config.coffer.timeoutMs;
    if (config.coffer.feed !== undefined) options.feed = config.coffer.feed;
    backends.push(cofferBackend(options));
  }
  return backends;
}

function cacheOf(
  config: GatewayConfig,
): NonNullable<Parameters<typeof createResolver>[0]["cache"]> {
  const cache: NonNullable<Parameters<typeof createResolver>[0]["cache"]> = {};
  const { ttl, negTtl, resurrectTtl, max } = config.cache ?? {};
  if (ttl !== undefined) cache.ttl = ttl;
  if (negTtl !== undefined) cache.negTtl = negTtl;
  if (resurrectTtl !== undefined) cache.resurrectTtl = resurrectTtl;
  if (max !== undefined) cache.max = max;
  return cache;
}

/**
 * Parses every template with the resolver's own backend syntaxes (config.ts checked them
 * against the defaults; a backend may be stricter), so a problem names its exact field.
 */
function checkReferences(config: GatewayConfig, resolver: GatewayResolver, label: string): void {
  const issues: { path: string; message: string }[] = [];
  config.routes.forEach((route, i) => {
    for (const kind of ["headers", "query"] as const) {
      for (const [name, template] of Object.entries(route[kind] ?? {})) {
        try {
          findVaultReferences(template, resolver.parseOptions);
        } catch (error) {
          if (!(error instanceof ReferenceSyntaxError)) throw error;
          const field = name.replaceAll("~", "~0").replaceAll("/", "~1");
          issues.push({ path: `/routes/${i}/${kind}/${field}`, message: error.message });
        }
      }
    }
  });
  if (issues.length > 0) throw ConfigError.of(label, issues);
}

function middlewareOf(
  config: GatewayConfig,
  route: GatewayRouteConfig,
  index: number,
  resolver: GatewayResolver,
  label: string,
): CofferMiddleware | undefined {
  const headers = route.headers ?? {};
  const query = route.query ?? {};
  const hasTemplates = Object.keys(headers).length + Object.keys(query).length > 0;
  if (!hasTemplates && config.incoming === undefined) return undefined;
  const options: GatewayOptions = { resolver };
  if (Object.keys(headers).length > 0) {
    // Node keeps incoming header names in lowercase; set ours the same way.
    options.headers = Object.fromEntries(
      Object.entries(headers).map(([name, template]) => [name.toLowerCase(), template]),
    );
  }
  if (Object.keys(query).length > 0) options.query = query;
  if (config.incoming !== undefined) options.incoming = { allow: [...config.incoming.allow] };
  // config.ts warned of look-alikes with their JSON pointers; the middleware would repeat them.
  options.onWarning = () => undefined;
  try {
    return coffer(options);
  } catch (error) {
    const message = error instanceof Error ? error.message : "rejected";
    // The allow-list is the config's, not the route's: point at it.
    const allow = /^incoming\.allow: /.exec(message);
    if (allow !== null) {
      throw ConfigError.of(label, [
        { path: "/incoming/allow", message: message.slice(allow[0].length) },
      ]);
    }
    throw ConfigError.of(label, [{ path: `/routes/${index}`, message }]);
  }
}

function forwardOf(route: GatewayRouteConfig, pools: Map<string, Pool>, log: Logger): Forward {
  const upstream = new URL(route.upstream);
  let pool = pools.get(upstream.origin);
  if (pool === undefined) {
    pool = new Pool(upstream.origin);
    pools.set(upstream.origin, pool);
  }
  const target: Parameters<typeof createForward>[0] = {
    route: route.path,
    host: upstream.host,
    basePath: upstream.pathname,
    stripPrefix: route.stripPrefix ?? true,
  };
  if (route.timeoutMs !== undefined) target.timeoutMs = route.timeoutMs;
  const injected = Object.keys(route.headers ?? {}).map((name) => name.toLowerCase());
  if (injected.length > 0) target.injected = new Set(injected);
  return createForward(target, pool, log);
}

/** Request-time failures: the middleware's GatewayError, or anything unexpected. */
function failureHandler(log: Logger): Fail {
  return function fail(error, res, route) {
    if (error instanceof CofferError) {
      // The middleware's GatewayError (a CofferError, 502 for a failed backend): its message
      // names references, never values.
      log.warn({ route, errorCode: error.errorCode, message: error.message }, "injection failed");
      sendError(res, error.httpStatus, error.errorCode, error.message, { ...error.details });
      return;
    }
    // Anything else could quote anything: its name only.
    log.error(
      { route, error: error instanceof Error ? error.name : typeof error },
      "request failed",
    );
    sendError(res, 500, "INTERNAL_SERVER_ERROR", "internal error");
  };
}

const MAX_PATH_LOGGED = 512;

function assemble(
  config: GatewayConfig,
  log: Logger,
  fail: Fail,
  resolver: GatewayResolver,
  routes: CompiledRoute[],
  close: () => Promise<void>,
): GatewayApp {
  const metrics = createMetrics(() => resolver.stats());
  const table = createRouteTable(routes);
  const metricsPath = config.metricsPath ?? DEFAULT_METRICS_PATH;

  function serveMetrics(res: ServerResponse): void {
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, {
          "content-type": metrics.registry.contentType,
          "cache-control": "no-store",
        });
        res.end(text);
      },
      (error: unknown) => fail(error, res, NO_ROUTE),
    );
  }

  function gateway(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    // The gateway's own endpoints: not proxied, not counted, not logged (probes are frequent).
    if (pathname === HEALTH_PATH) return sendJson(res, 200, { status: "ok" });
    if (pathname === metricsPath) return serveMetrics(res);

    const started = process.hrtime.bigint();
    const forwardable = isForwardablePath(pathname);
    const match = forwardable ? table.match(pathname) : undefined;
    const route = match?.route.path ?? NO_ROUTE;
    res.once("close", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.statusCode;
      metrics.record(route, status, seconds);
      // The path only: the query string may hold injected values. No header, ever.
      const entry: Record<string, unknown> = {
        method: req.method,
        path:
          pathname.length > MAX_PATH_LOGGED ? `${pathname.slice(0, MAX_PATH_LOGGED)}…` : pathname,
        status,
        ms: Math.round(seconds * 1e6) / 1e3,
        route,
      };
      if (!res.writableFinished) entry["aborted"] = true;
      log.info(entry, "request");
    });

    if (!forwardable) {
      return sendError(
        res,
        400,
        "INVALID_REQUEST",
        'the path must start with "/" and hold no "." or ".." segment',
      );
    }
    if (match === undefined) {
      return sendError(res, 404, "NOT_FOUND", "no route matches this path", {
        path: pathname.slice(0, MAX_PATH_LOGGED),
      });
    }
    try {
      match.route.handle(req, res, match.rest);
    } catch (error) {
      // Nothing should throw here; if something does, it must not take the process down.
      fail(error, res, route);
    }
  }

  return { handler: gateway, resolver, metrics, close };
}

export interface RunningGateway {
  /** `http://host:port` the gateway listens on. */
  url: string;
  server: Server;
  app: GatewayApp;
  /**
   * Stops accepting connections, lets requests in flight finish for up to `graceMs`, then
   * closes the resolver and the upstream pools.
   */
  close(graceMs?: number): Promise<void>;
}

/** Builds the gateway and listens on `config.listen` (default 127.0.0.1:8080; port 0 = any). */
export async function startGateway(
  config: GatewayConfig,
  deps: GatewayDeps = {},
): Promise<RunningGateway> {
  const app = createGatewayApp(config, deps);
  const server = createServer(app.handler);
  const host = config.listen?.host ?? DEFAULT_HOST;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.listen?.port ?? DEFAULT_PORT, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    server,
    app,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => server.closeAllConnections(), graceMs);
          timer.unref();
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
        });
        await app.close();
      })();
      return closing;
    },
  };
}
