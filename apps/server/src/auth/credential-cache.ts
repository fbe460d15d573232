/**
 * The tokens this server authenticated, kept in memory so that a request costs no database
 * round trip for its credential. Safe because every change that could take a right away
 * notifies every replica (migration 005's triggers, whoever wrote the change) and the cache is
 * emptied when the notification arrives:
 * - A lookup is kept only if no change was heard while it ran (the generation is unchanged),
 *   so a row read before a change committed is never kept after it.
 * - While the listening connection is down, nothing is served from the cache or kept in it;
 *   when it is back, the cache starts empty (changes in the gap were not heard).
 * - This server's own changes empty it as soon as they end (services/audited.ts), before their
 *   caller hears of them, without waiting for the notification.
 * Expiry is checked at every request against the clock (authenticate.ts), never cached.
 * Unknown tokens are not cached: a token created later is found at once.
 */
import { LRUCache } from "lru-cache";
import { channelFor } from "../changes/change-feed.js";
import type { Database } from "../db/database.js";
import type { CredentialRow } from "../stores/credential-store.js";

/**
 * Audited changes (their audit actions) that can take no right away: every other one empties
 * this server's cache when it ends (services/audited.ts), committed or not, so its caller's
 * next request is checked afresh at once, before any notification.
 */
export const KEEPS_CREDENTIALS: ReadonlySet<string> = new Set([
  "secret.create",
  "secret.put",
  "secret.stage",
  "secret.rollback",
  "secret.disable",
  "secret.enable",
  "secret.restore",
  "secret.describe-set",
  "secret.protection-key",
  "token.create",
  "access-key.create",
  "key.create",
  "oidc.exchange",
  // Sessions are read at every call, never cached: opening or ending one changes no token.
  "session.open",
  "session.close",
  "session.close-all",
]);

/** Enough for every token of a large organisation; each entry is a few hundred bytes. */
const MAX_ENTRIES = 10_000;

export class CredentialCache {
  readonly #rows = new LRUCache<string, CredentialRow>({ max: MAX_ENTRIES });
  #generation = 0;
  #listening = false;
  #stop: (() => Promise<void>) | undefined;

  /** Starts hearing the schema's credential changes; until then the cache serves nothing. */
  async start(db: Database): Promise<void> {
    const [row] = await db.query<{ schema: string }>("SELECT current_schema() AS schema");
    this.#stop = await db.listen(
      channelFor(row?.schema ?? "public", "coffer_credentials"),
      () => this.invalidate(),
      () => this.#setListening(true),
      () => this.#setListening(false),
    );
    this.#setListening(true);
  }

  async close(): Promise<void> {
    this.#setListening(false);
    await this.#stop?.();
    this.#stop = undefined;
  }

  /** Counts changes heard: a lookup begun at one generation may be kept only at the same. */
  get generation(): number {
    return this.#generation;
  }

  get(lookup: string): CredentialRow | undefined {
    return this.#listening ? this.#rows.get(lookup) : undefined;
  }

  /** Keeps a lookup's row, unless a change was heard since `generation` (read before the lookup). */
  keep(lookup: string, row: CredentialRow, generation: number): void {
    if (this.#listening && generation === this.#generation) this.#rows.set(lookup, row);
  }

  /** Something may have taken a right away: forget every credential. */
  invalidate(): void {
    this.#generation++;
    this.#rows.clear();
  }

  #setListening(listening: boolean): void {
    this.invalidate();
    this.#listening = listening;
  }
}
