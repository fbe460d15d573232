/**
 * The typed client every other part uses (CLI, gateway, Action): never a request built by hand.
 * Calls made together go out in one HTTP request (tRPC batching).
 */
import {
  CofferError,
  ERROR_CODES,
  HTTP_STATUS,
  MAX_BATCH_CALLS,
  signRequest,
  type ErrorCode,
  type MintedAccessKey,
} from "@coffer/core";
import type { AppRouter } from "@coffer/server";
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
} from "@trpc/client";
import { EventSource, type FetchLike } from "eventsource";
import { retryingFetch, type RetryOptions } from "./retrying-fetch.js";

export interface ClientOptions extends RetryOptions {
  /** The server, e.g. `http://127.0.0.1:7700`. */
  url: string;
  token?: string;
  /** Sign every request with an access key instead of sending a token. */
  accessKey?: MintedAccessKey;
  headers?: Record<string, string>;
}

export type CofferClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/**
 * Queries and mutations go batched over fetch with retries; subscriptions (the change feed) go
 * as server-sent events, which reconnect by themselves, with the same credentials.
 */
export function createCofferClient(options: ClientOptions): CofferClient {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
  const url = `${options.url.replace(/\/+$/, "")}/trpc`;
  const { sign } = signer(options.accessKey);
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: { fetch: streamFetch(headers, sign, options.fetch ?? fetch) },
        }),
        false: httpBatchLink({
          url,
          headers: () => headers,
          // tRPC's fetch type differs from the DOM's only in optional-property strictness.
          fetch: retryingFetch({ ...options, ...(sign ? { sign } : {}) }) as NonNullable<
            Parameters<typeof httpBatchLink>[0]["fetch"]
          >,
          maxItems: MAX_BATCH_CALLS, // the server's bound on one batch
        }),
      }),
    ],
  });
}

/** The event stream's fetch: credentials on every (re)connection, no timeout, no retries. */
function streamFetch(
  headers: Record<string, string>,
  sign: RetryOptions["sign"],
  base: typeof fetch,
): FetchLike {
  return (input, init) => {
    const url = new URL(input.toString());
    return base(url, {
      ...init,
      headers: { ...init.headers, ...headers, ...sign?.("GET", url, undefined) },
    });
  };
}

function signer(key: MintedAccessKey | undefined): Pick<RetryOptions, "sign"> {
  if (key === undefined) return {};
  return {
    sign: (method, url, body) =>
      signRequest({ method, pathAndQuery: url.pathname + url.search, body }, key),
  };
}

/**
 * An event stream the server refused before it opened (EventSource keeps only the status, not
 * the body): the status says which of the SPEC's errors it was.
 */
function refusedStream(cause: unknown): CofferError | undefined {
  const status = (cause as { code?: unknown } | undefined)?.code;
  if (typeof status !== "number") return undefined;
  const code = ERROR_CODES.find((c) => HTTP_STATUS[c] === status);
  return code && new CofferError(code, `the server refused the change feed (${status} ${code})`);
}

/** The SPEC's error from anything a client call threw (network errors become INTERNAL). */
export function toCofferError(error: unknown): CofferError {
  if (error instanceof CofferError) return error;
  if (error instanceof TRPCClientError) {
    const shape = (error as TRPCClientError<AppRouter>).shape as
      { errorCode?: unknown; message?: unknown; details?: unknown } | undefined;
    const code = shape?.errorCode;
    if (typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code)) {
      return new CofferError(
        code as ErrorCode,
        typeof shape?.message === "string" ? shape.message : error.message,
        (shape?.details as Record<string, unknown> | undefined) ?? {},
      );
    }
    const refused = refusedStream(error.cause);
    if (refused) return refused;
    return new CofferError(
      "INTERNAL_SERVER_ERROR",
      `cannot reach the Coffer server: ${error.message}`,
    );
  }
  return new CofferError(
    "INTERNAL_SERVER_ERROR",
    error instanceof Error ? error.message : "unknown error",
  );
}
