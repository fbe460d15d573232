/**
 * Failed authentication is rate limited per client address and token prefix (SPEC §7): after
 * `limit` failures within a minute, that pair is refused with RATE_LIMITED until the minute
 * has passed, before any lookup. Per process; bounded memory.
 */
import { LRUCache } from "lru-cache";

export class FailureLimiter {
  #failures: LRUCache<string, { count: number; since: number }>;

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {
    this.#failures = new LRUCache({ max: 50_000 });
  }

  static key(ip: string, credential: string | undefined): string {
    // A prefix identifies the credential family without holding a usable part of it.
    return `${ip}|${credential === undefined ? "-" : credential.slice(0, 8)}`;
  }

  blocked(key: string, now: number): boolean {
    const entry = this.#failures.get(key);
    if (!entry) return false;
    if (now - entry.since > this.windowMs) {
      this.#failures.delete(key);
      return false;
    }
    return entry.count >= this.limit;
  }

  fail(key: string, now: number): void {
    const entry = this.#failures.get(key);
    if (!entry || now - entry.since > this.windowMs)
      this.#failures.set(key, { count: 1, since: now });
    else entry.count++;
  }
}
