/**
 * When a failed delivery is tried again (SPEC §12: backoff with jitter over about a day,
 * honouring `Retry-After`). The schedule is Standard Webhooks' (Svix's): at once, then 5 s,
 * 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure, eight attempts over about 27 h;
 * each wait is moved by up to ±20 % so that a receiver coming back is not hit by every
 * delivery at once. A receiver's `Retry-After` lengthens a wait (never shortens it), up to a
 * day.
 */
import { DAY_MS } from "../time.js";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The wait after the n-th failed attempt (index n - 1). */
export const RETRY_DELAYS_MS: readonly number[] = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
const JITTER = 0.2;
/** A hook failing this long (every attempt since, none delivered) is disabled. */
export const FAILING_DISABLES_AFTER_MS = 3 * DAY_MS;

/**
 * When to try again after failed attempt `attempt` (1-based), or null when it was the last.
 * `random` is in [0, 1) (tests pass a fixed one).
 */
export function nextAttemptAt(
  attempt: number,
  now: Date,
  retryAfterMs: number | undefined,
  random: number = Math.random(),
): Date | null {
  const base = RETRY_DELAYS_MS[attempt - 1];
  if (base === undefined) return null;
  const jittered = base * (1 - JITTER + 2 * JITTER * random);
  const wait =
    retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, DAY_MS));
  return new Date(now.getTime() + Math.round(wait));
}
