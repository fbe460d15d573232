/**
 * The proxy: forwards a request to its route's upstream over a keep-alive undici Pool and
 * streams both bodies with backpressure. undici reads the request body as the client sends it
 * and, through `stream()`, writes the response body into ours as it arrives, pausing while ours
 * is full (measured at 2-3x the throughput of `request()` piped with `pipeline()`).
 * Hop-by-hop headers are dropped both ways (never a header the route injected, whatever the
 * client's Connection header names); Host becomes the upstream's; X-Forwarded-For,
 * -Proto and -Host say where the request came from. A client that goes away aborts the
 * upstream request.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { safeErrorCode } from "@coffer/core";
import type { Dispatcher } from "undici";
import { stripHopByHop } from "./hop-by-hop.js";
import { sendError } from "./http-errors.js";
import type { Logger } from "./logger.js";
import { upstreamPath } from "./routes.js";

export interface ProxyTarget {
  /** The route's configured path: named in errors and logs. */
  route: string;
  /** The upstream's Host header. */
  host: string;
  /** The upstream URL's path, which the rest of the request's path is appended to. */
  basePath: string;
  stripPrefix: boolean;
  /** How long to wait for response headers; undici's default (300 s) when absent. */
  timeoutMs?: number;
  /** The lowercase names of the headers the route injects: never dropped for Connection. */
  injected?: ReadonlySet<string>;
}

/** Set by the gateway itself; a client's own values are replaced (X-Forwarded-For is extended). */
const REPLACED: ReadonlySet<string> = new Set([
  "host",
  // Node's server answers `Expect: 100-continue` itself; undici refuses to send it.
  "expect",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
]);

/** Errors that mean the upstream did not answer in time, rather than failed. */
const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

export type Forward = (req: IncomingMessage, res: ServerResponse, rest: string) => void;

/**
 * Returns the function that forwards one request. `rest` is the part of the path after the
 * route's prefix; the query string is read from `req.url` when forwarding, after the coffer
 * middleware has written its parameters into it.
 */
export function createForward(target: ProxyTarget, pool: Dispatcher, log: Logger): Forward {
  return function forward(req, res, rest) {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const search = queryAt === -1 ? "" : url.slice(queryAt);
    const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
    const path = upstreamPath(target.basePath, target.stripPrefix ? rest : pathname) + search;

    const headers = stripHopByHop(req.headers, REPLACED, target.injected);
    headers["host"] = target.host;
    const client = clientAddress(req);
    const prior = req.headers["x-forwarded-for"];
    if (client !== undefined) {
      headers["x-forwarded-for"] = prior === undefined ? client : `${String(prior)}, ${client}`;
    } else if (prior !== undefined) {
      headers["x-forwarded-for"] = prior;
    }
    // The gateway serves plain HTTP; TLS in front of it should set its own proxy headers.
    headers["x-forwarded-proto"] = "http";
    if (req.headers.host !== undefined) headers["x-forwarded-host"] = req.headers.host;

    // A client that goes away before the upstream answers aborts the request: undici takes an
    // EventEmitter as its signal and listens for "abort", so `res` itself serves (an
    // AbortController per request cost about 5 % of the gateway's CPU time when profiled).
    // Once the response streams, undici sees `res` close early and aborts by itself.
    // The client may have gone while the references were resolved: nothing to forward then
    // (and no reason to send the route's credentials upstream).
    if (res.destroyed || req.destroyed) return;
    let clientGone = false;
    res.once("close", () => {
      if (res.writableFinished) return;
      clientGone = true;
      res.emit("abort");
    });

    const options: Dispatcher.RequestOptions = {
      path,
      method: req.method ?? "GET",
      headers,
      body: hasBody(req) ? req : null,
      signal: res,
    };
    if (target.timeoutMs !== undefined) options.headersTimeout = target.timeoutMs;

    // stream() writes the upstream's body straight into `res`, pausing while `res` is full.
    pool.stream(
      options,
      ({ statusCode, headers: upstreamHeaders }) => {
        res.writeHead(statusCode, stripHopByHop(upstreamHeaders));
        return res;
      },
      (error) => {
        if (error === null || clientGone) return; // done, or the client left
        const code = safeErrorCode(error);
        if (res.headersSent) {
          // The status line is gone (undici has cut the response short): log it, that is all.
          log.warn({ route: target.route, code }, "upstream response failed");
          return;
        }
        log.warn({ route: target.route, code }, "upstream request failed");
        const timedOut = TIMEOUT_CODES.has(code);
        // As the middleware does for a failed backend: the SPEC has no code for 502 or 504, so
        // the code is INTERNAL_SERVER_ERROR, the status says whose fault it is, and the
        // cause (a node or undici error code, never a message) is in the details.
        sendError(
          res,
          timedOut ? 504 : 502,
          "INTERNAL_SERVER_ERROR",
          timedOut
            ? `the upstream of route ${target.route} did not answer in time`
            : `the upstream of route ${target.route} could not be reached`,
          { route: target.route, cause: code },
        );
      },
    );
  };
}

/** Whether the request carries a body (a length over 0, or chunked). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

function clientAddress(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress;
  if (address === undefined) return undefined;
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
