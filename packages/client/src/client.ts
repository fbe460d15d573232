/**
 * The typed client every other part uses (CLI, gateway, Action): never a request built by hand.
 * Calls made together go out in one HTTP request (tRPC batching).
 */
import {
  CofferError,
  ERROR_CODES,
  signRequest,
  type ErrorCode,
  type MintedAccessKey,
} from "@coffer/core";
import type { AppRouter } from "@coffer/server";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
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

export function createCofferClient(options: ClientOptions): CofferClient {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${options.url.replace(/\/+$/, "")}/trpc`,
        headers: () => headers,
        // tRPC's fetch type differs from the DOM's only in optional-property strictness.
        fetch: retryingFetch({ ...options, ...signer(options.accessKey) }) as NonNullable<
          Parameters<typeof httpBatchLink>[0]["fetch"]
        >,
        maxItems: 100,
      }),
    ],
  });
}

function signer(key: MintedAccessKey | undefined): Pick<RetryOptions, "sign"> {
  if (key === undefined) return {};
  return {
    sign: (method, url) => signRequest({ method, pathAndQuery: url.pathname + url.search }, key),
  };
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
