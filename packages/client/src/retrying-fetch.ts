/**
 * fetch with a timeout per attempt and retries with exponential backoff and jitter.
 * - Queries (GET) are retried on network errors, 5xx and 429.
 * - Mutations (POST) are retried only when the server certainly did not run them: 429, 502,
 *   503, 504, or a connection that never opened. A 500 or a connection lost mid-request may
 *   follow a committed change, and a second put would make a second version.
 * A 429's Retry-After is honoured (capped at maxDelayMs).
 */
export interface RetryOptions {
  /** Per attempt, in ms (default 10,000). */
  timeoutMs?: number;
  /** Attempts after the first (default 3). */
  retries?: number;
  /** First backoff, in ms (default 100); doubles each time, with jitter. */
  backoffMs?: number;
  maxDelayMs?: number;
  fetch?: typeof fetch;
  /** Called before every attempt (request counting in tests and benchmarks). */
  onAttempt?: (attempt: number) => void;
  /**
   * Extra headers for each attempt (a signature is made afresh per attempt: replays are
   * refused); it covers the body, which must then be text (tRPC sends JSON).
   */
  sign?: (method: string, url: URL, body: string | undefined) => Record<string, string>;
}

const NOT_RUN_STATUSES = new Set([429, 502, 503, 504]);
const NEVER_CONNECTED = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === "string" ? cause.code : undefined;
}

function textBody(init: RequestInit | undefined): string | undefined {
  const body = init?.body ?? undefined;
  if (body === undefined || typeof body === "string") return body;
  throw new TypeError("a signed request's body must be a string");
}

export function retryingFetch(options: RetryOptions = {}): typeof fetch {
  const base = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const backoffMs = options.backoffMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5_000;

  return async function fetchWithRetries(input, init) {
    const method = (init?.method ?? "GET").toUpperCase();
    const idempotent = method === "GET" || method === "HEAD";
    for (let attempt = 0; ; attempt++) {
      options.onAttempt?.(attempt);
      const delay = Math.min(maxDelayMs, backoffMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      let response: Response;
      try {
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
        const headers = new Headers(init?.headers);
        if (options.sign) {
          const url = new URL(input instanceof Request ? input.url : input.toString());
          for (const [name, value] of Object.entries(options.sign(method, url, textBody(init))))
            headers.set(name, value);
        }
        response = await base(input, { ...init, headers, signal });
      } catch (error) {
        const retryable = idempotent || NEVER_CONNECTED.has(errorCode(error) ?? "");
        if (!retryable || attempt >= retries) throw error;
        await sleep(delay);
        continue;
      }
      const retryable = idempotent
        ? response.status >= 500 || response.status === 429
        : NOT_RUN_STATUSES.has(response.status);
      if (!retryable || attempt >= retries) return response;
      const after = Number(response.headers.get("retry-after"));
      await response.body?.cancel();
      await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, maxDelayMs) : delay);
    }
  };
}
