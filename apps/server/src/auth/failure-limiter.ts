/**
 * Failed authentication is limited per client address (SPEC §7), under one rule: **the limiter
 * never refuses a credential that verifies.**
 *
 * - Every credential is checked first (a token's shape and checksum offline, then one batched
 *   indexed lookup; a signature; an OIDC ID token against its issuer's cached keys). A valid one
 *   is accepted whatever its address has done, so junk sent by a stranger cannot lock anybody
 *   out: neither a victim whose token hint (`cft_Ab3x`) is public, nor the neighbours behind
 *   the same NAT, proxy or CI runner fleet.
 * - A failure counts against the client's address (an IPv6 address by its /64, which one host
 *   usually holds whole), not against anything the caller names. Past `limit` failures within
 *   the window (a minute from the first), the address's further failures are answered
 *   RATE_LIMITED (429, with the seconds left) instead of UNAUTHORIZED: no longer told why they
 *   failed, nor audited one by one (the audit log gets at most `limit` a minute per address;
 *   the metrics count them all).
 * - The cost: a junk try from a blocked address still costs what a valid request costs. The
 *   limiter slows guessing and hides reasons; it does not shed load (a request rate limit in
 *   front of the server does that).
 *
 * The client address is the HTTP layer's one rule (http/app.ts: the socket's address, or the
 * forwarded one when COFFER_TRUSTED_PROXIES says which proxies to believe). Per process; bounded
 * memory.
 */
import { isIPv6 } from "node:net";
import { CofferError } from "@coffer/core";
import { LRUCache } from "lru-cache";

export class FailureLimiter {
  #failures: LRUCache<string, { count: number; since: number }>;

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {
    this.#failures = new LRUCache({ max: 50_000 });
  }

  /**
   * Counts a failure from `ip`. Returns the RATE_LIMITED error to answer it with once the
   * address has failed more than `limit` times in the window, else undefined.
   */
  fail(ip: string, now: number, what: string): CofferError | undefined {
    const key = addressKey(ip);
    let entry = this.#failures.get(key);
    if (!entry || now - entry.since >= this.windowMs) {
      entry = { count: 0, since: now };
      this.#failures.set(key, entry);
    }
    entry.count++;
    if (entry.count <= this.limit) return undefined;
    const retryAfterSeconds = Math.max(1, Math.ceil((entry.since + this.windowMs - now) / 1000));
    return new CofferError(
      "RATE_LIMITED",
      `too many failed ${what} from this address; wait ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    );
  }
}

/** What an address counts as: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("%")[0]!.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = ip.includes("::")
    ? [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
