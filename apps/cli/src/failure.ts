/**
 * A failure in the CLI's words, one line: what went wrong, where, and what to do. Network
 * failures name the server's address; an address that answers but not as Coffer says so; the
 * server's validation details name the CLI's options and arguments, never an API field or a
 * pattern. Never a value: messages are built from codes and field names only.
 */
import { toCofferError } from "@coffer/client";
import { isLoopbackUrl } from "./server-url.js";
import { validationInCliWords } from "./validation-words.js";

const START_HINT =
  "is the Coffer server running? (`npx -y pnpm@10 start` in the repository starts one)";

/** The codes Node's fetch gives for a connection that failed, as the cause of its cause. */
function networkCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    const { code, name, cause } = e as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === "string") return code;
    if (name === "TimeoutError" || name === "AbortError") return "TIMEOUT";
    e = cause;
  }
  return undefined;
}

function unreachable(code: string, url: string): string {
  const local = isLoopbackUrl(url);
  switch (code) {
    case "ECONNREFUSED":
      return `nothing answers at ${url} (connection refused): ${local ? START_HINT : "check the address, and that the server is up"}`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot find the host of ${url}: check the address (--url or COFFER_URL)`;
    case "TIMEOUT":
      return `${url} did not answer in time: check the address, and that the server is up`;
    default:
      return `cannot reach ${url} (${code}): check the address (--url or COFFER_URL)`;
  }
}

/** Whether the call got no answer in Coffer's error format: a network error, or another server. */
function isForeign(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== "TRPCClientError") return false;
  const shape = (error as { shape?: { errorCode?: unknown } }).shape;
  return typeof shape?.errorCode !== "string";
}

/** The line printed after `coffer: ` for anything a command threw that is not a usage error. */
export function describeFailure(error: unknown, url: string | undefined): string {
  if (url !== undefined && isForeign(error)) {
    const code = networkCode(error);
    if (code !== undefined) return unreachable(code, url);
    if (error instanceof TypeError || (error as Error).cause instanceof TypeError) {
      return `cannot reach ${url}: check the address`; // fetch refused it (a blocked port, …)
    }
    const status = (error as { meta?: { response?: { status?: unknown } } }).meta?.response?.status;
    const http = typeof status === "number" ? ` (HTTP ${status})` : "";
    return `${url} answered${http}, but not as a Coffer server: check the address (a Coffer server's, such as http://127.0.0.1:7700)`;
  }
  const coffer = toCofferError(error);
  if (coffer.errorCode === "INVALID_REQUEST") {
    const words = validationInCliWords(coffer.details);
    if (words !== undefined) return `${coffer.errorCode}: ${words}`;
  }
  return `${coffer.errorCode}: ${coffer.message}`;
}
