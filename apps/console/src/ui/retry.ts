import { callError } from "./error-notice.js";

/**
 * Whether a failed query is worth asking again: only a passing fault, that is no answer at all
 * (a network failure, which callError reads as UNAVAILABLE) or a server fault (5xx:
 * INTERNAL_SERVER_ERROR, UNAVAILABLE). A refusal (4xx: UNAUTHORIZED, FORBIDDEN, NOT_FOUND,
 * INVALID_REQUEST, RATE_LIMITED…) says the same the next time: it is shown at once, and an
 * ended session goes to the gate.
 */
export function isPassingFault(error: unknown): boolean {
  const data = (error as { data?: { httpStatus?: unknown } } | null)?.data;
  if (typeof data?.httpStatus === "number") return data.httpStatus >= 500;
  const code = callError(error).errorCode;
  return code === "UNAVAILABLE" || code === "INTERNAL_SERVER_ERROR";
}

/** TanStack Query's `retry`: a passing fault twice at most (three tries in all). */
export function retryQuery(failures: number, error: unknown): boolean {
  return failures < 2 && isPassingFault(error);
}
