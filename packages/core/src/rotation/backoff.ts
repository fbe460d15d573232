/**
 * The delay before a rotation job's next attempt: exponential backoff with full jitter
 * (AWS's "Exponential Backoff And Jitter"): a uniform draw in [0, min(cap, base × 2^(n−1))),
 * where n is the attempt that just failed (1 for the first). Full jitter spreads the retries
 * of many jobs that failed together (a database restart) instead of bunching them.
 *
 * Base 1 minute, cap 1 hour: with SPEC's 5 attempts the ceilings are 1, 2, 4 and 8 minutes, so
 * a job that keeps failing ends `failed` within about a quarter of an hour of its first try,
 * soon enough for a person to hear of it the same session, long enough to ride out a restart.
 * The jitter source is injectable so tests are exact; it defaults to Math.random (a delay is
 * not a secret).
 */
export const BACKOFF_BASE_MS = 60_000;
export const BACKOFF_CAP_MS = 3_600_000;

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  /** A number in [0, 1), as Math.random returns. */
  random?: () => number;
}

/** The upper bound of the delay after failed attempt `attempt` (no jitter). */
export function backoffCeiling(attempt: number, options: BackoffOptions = {}): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`a backoff attempt is a whole number from 1, not ${attempt}`);
  }
  const base = options.baseMs ?? BACKOFF_BASE_MS;
  const cap = options.capMs ?? BACKOFF_CAP_MS;
  // 2^(n−1) overflows to Infinity for large n; min() keeps the cap.
  return Math.min(cap, base * 2 ** (attempt - 1));
}

/** The delay in whole milliseconds before the attempt after `attempt`. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const draw = (options.random ?? Math.random)();
  const unit = Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 0;
  return Math.floor(unit * backoffCeiling(attempt, options));
}
