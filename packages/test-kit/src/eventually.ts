/** Waiting on a condition, with a deadline generous enough for a machine ten times slower. */

/** The default deadline of `eventually`: long, since a busy machine is slow, not broken. */
export const GENEROUS_MS = 60_000;

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` every `intervalMs` until it returns something other than undefined, and
 * returns that; throws, naming `what`, after `timeoutMs`. A deadline, not a measure: a test
 * states what it waits for, never how fast it must come.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = GENEROUS_MS, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}
