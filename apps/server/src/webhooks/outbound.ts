/**
 * Outbound signed webhooks (SPEC §11 webhook rotators, §12 hook deliveries): one POST of a JSON
 * body signed as Standard Webhooks, over a dedicated undici Agent whose connector refuses the
 * address it actually connects to when it lies in a private, loopback, link-local… range
 * (address-guard.ts) that COFFER_HOOK_ALLOW_CIDRS does not name. A DNS name is checked on every
 * address it resolves to (a custom `lookup`, so a refused address is never dialled), an IP
 * literal before dialling, and the connected socket's remote address once more.
 *
 * Redirects are never followed (a 3xx is returned as it is); one timeout covers connecting,
 * the response head and the first 4 KiB of its body. Failures are CofferErrors with a stable
 * `details.reason` whose messages name the URL's origin only, never its path or query, a header
 * value or the body: `address-refused` (INVALID_REQUEST, with the address and its range),
 * `timeout`, and `connect-failed` (could not connect, or the connection broke; the Node or
 * undici error code in `details.cause`). Like the gateway's failed upstreams, the last two are
 * INTERNAL_SERVER_ERROR: the SPEC has no code for a third party that failed.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { performance } from "node:perf_hooks";
import {
  CofferError,
  invalidRequest,
  newWebhookMessageId,
  safeErrorCode,
  signWebhook,
  webhookTimestamp,
} from "@coffer/core";
import { Agent, buildConnector, request } from "undici";
import { bareAddress, createAddressGuard, type AddressGuard } from "./address-guard.js";

export const WEBHOOK_TIMEOUT_MS = 10_000;
export const BODY_HEAD_BYTES = 4096;
/** Response headers worth keeping in a delivery log; none can echo what Coffer sent. */
const KEPT_RESPONSE_HEADERS = ["content-type", "content-length", "retry-after", "date"] as const;
const MAX_KEPT_HEADER_CHARS = 256;
/** Headers Coffer sets itself; a caller's extra headers may not replace them. */
const RESERVED_HEADERS = new Set([
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "content-type",
  "content-length",
  "transfer-encoding",
  "host",
  "connection",
]);
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

export interface WebhookClientOptions {
  /** CIDRs or addresses that may be reached although private (COFFER_HOOK_ALLOW_CIDRS). */
  allowCidrs: readonly string[];
  /** Longest a call may take, from connecting to the body's first 4 KiB (default 10 s). */
  timeoutMs?: number;
}

export interface WebhookPost {
  /** An absolute http(s) URL without user name or password. */
  url: string;
  /** The JSON text, sent exactly as signed. */
  body: string;
  /** `whsec_` signing secrets: the current one, and the previous one while it rotates. */
  keys: readonly string[];
  /** The event's id, the same on every retry (default: a fresh `msg_…`). */
  id?: string;
  /** Unix seconds of this attempt (default: now). */
  timestamp?: number;
  /** More request headers (a hook's rendered headers); they cannot replace Coffer's own. */
  headers?: Readonly<Record<string, string>>;
}

export interface WebhookResponse {
  status: number;
  /** Content-Type, Content-Length, Retry-After and Date, when the receiver sent them. */
  headers: Record<string, string>;
  /** The first 4 KiB of the response body, as UTF-8 text. */
  bodyHead: string;
  durationMs: number;
}

export interface WebhookClient {
  post(call: WebhookPost): Promise<WebhookResponse>;
  /** Closes the agent's connections. */
  close(): Promise<void>;
}

/** What the guard throws from inside the connector; turned into a CofferError by `post`. */
class AddressRefused extends Error {
  constructor(
    readonly address: string,
    readonly range: string,
  ) {
    super("address refused");
  }
}

/** dns.lookup, keeping only the addresses the guard lets through. */
function guardedLookup(guard: AddressGuard): LookupFunction {
  return (hostname, options: LookupOptions, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      const usable = addresses.filter((a) => guard.refusal(a.address) === undefined);
      const first = usable[0];
      if (first === undefined) {
        const refused = addresses[0];
        const range = refused === undefined ? "none" : (guard.refusal(refused.address) ?? "none");
        return callback(new AddressRefused(refused?.address ?? "", range), "", 0);
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, usable);
      return callback(null, first.address, first.family);
    });
  };
}

/** The connector: refuses an IP literal before dialling and checks the connected address. */
function guardedConnector(guard: AddressGuard, timeoutMs: number): buildConnector.connector {
  const dial = buildConnector({ lookup: guardedLookup(guard), timeout: timeoutMs });
  return function guardedConnect(options, callback) {
    const literal = bareAddress(options.hostname);
    const literalRefusal = isIP(literal) === 0 ? undefined : guard.refusal(literal);
    if (literalRefusal !== undefined) {
      callback(new AddressRefused(literal, literalRefusal), null);
      return;
    }
    dial(options, (error, socket) => {
      if (error !== null) return callback(error, null);
      const remote = socket.remoteAddress ?? "";
      const refusal = guard.refusal(remote);
      if (refusal !== undefined) {
        socket.destroy();
        return callback(new AddressRefused(remote, refusal), null);
      }
      callback(null, socket);
    });
  };
}

function parseTarget(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidRequest("the webhook URL is not an absolute URL", {
      reason: "webhook-url-invalid",
    });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw invalidRequest("the webhook URL must be http or https", {
      reason: "webhook-url-invalid",
    });
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw invalidRequest("the webhook URL must not hold a user name or password", {
      reason: "webhook-url-credentials",
    });
  }
  return parsed;
}

function checkExtraHeaders(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME_RE.test(name)) {
      throw invalidRequest("a webhook header name is not a valid HTTP token", {
        reason: "webhook-header-invalid",
      });
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw invalidRequest(`the webhook header ${name} is set by Coffer`, {
        reason: "webhook-header-reserved",
        header: name,
      });
    }
    if (typeof value !== "string" || /[\r\n\0]/.test(value)) {
      throw invalidRequest(`the webhook header ${name} holds a line break or NUL`, {
        reason: "webhook-header-invalid",
        header: name,
      });
    }
  }
}

function failure(error: unknown, origin: string, timedOut: boolean, timeoutMs: number) {
  const refused = error instanceof AddressRefused ? error : undefined;
  if (refused !== undefined) {
    return invalidRequest(
      `the webhook to ${origin} was refused: ${refused.address || "its address"} is in a ${refused.range} range (COFFER_HOOK_ALLOW_CIDRS can allow it)`,
      { reason: "address-refused", origin, address: refused.address, range: refused.range },
    );
  }
  const cause = safeErrorCode(error);
  if (timedOut || TIMEOUT_CODES.has(cause)) {
    return new CofferError(
      "INTERNAL_SERVER_ERROR",
      `the webhook to ${origin} did not answer within ${timeoutMs} ms`,
      { reason: "timeout", origin },
    );
  }
  return new CofferError("INTERNAL_SERVER_ERROR", `the webhook to ${origin} could not be reached`, {
    reason: "connect-failed",
    origin,
    cause,
  });
}

function keptHeaders(headers: Record<string, string | string[] | undefined>) {
  const kept: Record<string, string> = {};
  for (const name of KEPT_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    kept[name] = (Array.isArray(value) ? value.join(", ") : value).slice(0, MAX_KEPT_HEADER_CHARS);
  }
  return kept;
}

async function readHead(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= BODY_HEAD_BYTES) break; // leaving the loop destroys the rest of the body
  }
  // `stream`: a character the cut splits is left out, not turned into U+FFFD (which would
  // hide the start of a value cut there from redaction).
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, BODY_HEAD_BYTES), {
    stream: true,
  });
}

/** A client with its own guarded Agent; build one per process and reuse it. */
export function createWebhookClient({
  allowCidrs,
  timeoutMs = WEBHOOK_TIMEOUT_MS,
}: WebhookClientOptions): WebhookClient {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new RangeError("timeoutMs must be a positive whole number");
  }
  const guard = createAddressGuard(allowCidrs);
  const agent = new Agent({
    connect: guardedConnector(guard, timeoutMs),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  return {
    async post(call) {
      const target = parseTarget(call.url);
      checkExtraHeaders(call.headers ?? {});
      try {
        JSON.parse(call.body);
      } catch {
        throw invalidRequest("the webhook body is not JSON", { reason: "webhook-body-not-json" });
      }
      const signed = signWebhook({
        id: call.id ?? newWebhookMessageId(),
        timestamp: call.timestamp ?? webhookTimestamp(new Date()),
        body: call.body,
        keys: call.keys,
      });

      const started = performance.now();
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      try {
        const response = await request(target, {
          dispatcher: agent,
          method: "POST",
          headers: {
            "user-agent": "Coffer-Webhooks",
            ...call.headers,
            ...signed,
            "content-type": "application/json",
          },
          body: call.body,
          signal: controller.signal,
        });
        const bodyHead = await readHead(response.body);
        return {
          status: response.statusCode,
          headers: keptHeaders(response.headers),
          bodyHead,
          durationMs: Math.round(performance.now() - started),
        };
      } catch (error) {
        throw failure(error, target.origin, timedOut, timeoutMs);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => agent.close(),
  };
}
