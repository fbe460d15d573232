/**
 * The caching resolver (SPEC §9): a bounded LRU of fetched references, keyed by their identity
 * (cache query keys excluded), in front of the backends.
 *
 * - Fresh values are hits; past 80 % of the ttl one background refresh starts (refresh ahead).
 * - An expired value within resurrectTtl is refreshed (awaited); if that fails the old value is
 *   served (stale). From then on, until a refresh succeeds, requests get the stale value at once
 *   while a background refresh runs at most once a second: an outage costs no latency. A failed
 *   fetch never replaces a value: it is kept next to the value. That holds while the backend is
 *   down (network, 5xx, 429); a refusal it answers (not found, forbidden, disabled) ends the
 *   value, as a revocation must.
 * - Failures are remembered for negTtl.
 * - Concurrent misses of one reference share one fetch; misses of one tick are grouped per
 *   backend into one `fetch` call (a microtask collects them).
 * - Each reference may override ttl, negTtl and resurrectTtl; freshness is judged with the
 *   settings of the reference asking, against the time the entry was fetched, because
 *   references that differ only in their cache keys share one entry.
 */
import {
  CofferError,
  invalidRequest,
  referenceIdentity,
  type ParseOptions,
  type ResolveOutcome,
  type VaultReference,
} from "@coffer/core";
import { LRUCache } from "lru-cache";
import type {
  Backend,
  BackendChange,
  CacheOptions,
  CacheSettings,
  CacheStats,
  GatewayResolver,
  ResolverOptions,
} from "./types.js";

export const DEFAULT_CACHE_SETTINGS: Readonly<CacheSettings> = {
  ttl: 60,
  negTtl: 10,
  resurrectTtl: 300,
};
export const DEFAULT_CACHE_MAX = 10_000;
/** Share of the ttl after which a hit starts a background refresh. */
const REFRESH_AHEAD = 0.8;
/** After a failed refresh, the reference is not fetched again for this long (ms). */
const RETRY_HOLD_MS = 1000;
const BACKEND_NAME_RE = /^[a-z][a-z0-9-]{0,62}$/;
/**
 * Failures that mean the backend is down or overloaded (network, timeout, 5xx, 429): the last
 * good value is served through them. Any other failure is the backend's answer (not found,
 * forbidden, disabled, no such key) and ends the value at once: serving it on would outlive a
 * revocation.
 */
const BACKEND_DOWN: ReadonlySet<string> = new Set(["INTERNAL_SERVER_ERROR", "RATE_LIMITED"]);

interface Entry {
  readonly id: string;
  /** The first reference seen with this identity (its cache keys do not matter). */
  readonly ref: VaultReference;
  readonly backend: Backend;
  /** The last good value and when it was fetched. */
  value: string | undefined;
  valueAt: number;
  /** The last failure, cleared by a success. */
  error: CofferError | undefined;
  errorAt: number;
  /** No fetch before this time (after a failed refresh of a value). */
  holdUntil: number;
  inflight: Promise<ResolveOutcome> | undefined;
  /** A change arrived while a fetch was in flight: fetch again once it lands. */
  refetch: boolean;
}

interface Waiting {
  entry: Entry;
  settle: (outcome: ResolveOutcome) => void;
}

/** Settings in ms. */
interface Durations {
  ttl: number;
  negTtl: number;
  resurrectTtl: number;
}

function checkCacheOptions(cache: CacheOptions): void {
  for (const name of ["ttl", "negTtl", "resurrectTtl"] as const) {
    const value = cache[name];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw invalidRequest(`cache.${name} must be a number of seconds from 0`);
    }
  }
  if (cache.max !== undefined && !(Number.isInteger(cache.max) && cache.max >= 1)) {
    throw invalidRequest("cache.max must be a whole number from 1");
  }
}

/** A backend's own failure as an outcome; its message is passed on only when it is a CofferError. */
function backendFailure(backend: Backend, thrown: unknown): CofferError {
  if (thrown instanceof CofferError) return thrown;
  return new CofferError("INTERNAL_SERVER_ERROR", `the ${backend.name} backend failed`);
}

/** An outcome as a backend should give it; anything else becomes a failure. */
function checkedOutcome(backend: Backend, outcome: ResolveOutcome | undefined): ResolveOutcome {
  if (outcome?.ok === true && typeof outcome.value === "string") return outcome;
  if (outcome?.ok === false && outcome.error instanceof CofferError) return outcome;
  return {
    ok: false,
    error: new CofferError("INTERNAL_SERVER_ERROR", `the ${backend.name} backend gave no answer`),
  };
}

class CachingResolver implements GatewayResolver {
  readonly parseOptions: ParseOptions;
  readonly #backends: ReadonlyMap<string, Backend>;
  readonly #defaults: CacheSettings;
  readonly #cache: LRUCache<string, Entry>;
  readonly #now: () => number;
  /** Identities of references already seen (the middleware's are parsed once, at build time). */
  readonly #ids = new WeakMap<VaultReference, string>();
  #queue = new Map<Backend, Waiting[]>();
  #flushScheduled = false;
  #watching = false;
  #stops: (() => void)[] = [];
  #hits = 0;
  #misses = 0;
  #stale = 0;
  #errors = 0;
  #refreshes = 0;

  constructor(options: ResolverOptions) {
    const cache = options.cache ?? {};
    checkCacheOptions(cache);
    const backends = new Map<string, Backend>();
    for (const backend of options.backends) {
      if (!BACKEND_NAME_RE.test(backend.name)) {
        throw invalidRequest(
          `backend name "${String(backend.name).slice(0, 64)}" is not lowercase letters, digits and -`,
        );
      }
      if (backends.has(backend.name)) {
        throw invalidRequest(`two backends are named "${backend.name}"`);
      }
      backends.set(backend.name, backend);
    }
    this.#backends = backends;
    this.parseOptions = {
      backends: Object.freeze(
        Object.fromEntries([...backends.values()].map((b) => [b.name, b.syntax])),
      ),
    };
    this.#defaults = {
      ttl: cache.ttl ?? DEFAULT_CACHE_SETTINGS.ttl,
      negTtl: cache.negTtl ?? DEFAULT_CACHE_SETTINGS.negTtl,
      resurrectTtl: cache.resurrectTtl ?? DEFAULT_CACHE_SETTINGS.resurrectTtl,
    };
    this.#cache = new LRUCache<string, Entry>({ max: cache.max ?? DEFAULT_CACHE_MAX });
    this.#now = options.now ?? Date.now;
  }

  async resolve(references: readonly VaultReference[]): Promise<readonly ResolveOutcome[]> {
    this.#startWatching();
    const now = this.#now();
    // Every fetch is queued synchronously here; the queue is flushed in a microtask.
    const outcomes = references.map((ref) => Promise.resolve(this.#lookup(ref, now)));
    return Promise.all(outcomes);
  }

  peekAll(references: readonly VaultReference[], into?: string[]): readonly string[] | undefined {
    const now = this.#now();
    const out = into ?? new Array<string>(references.length);
    for (let i = 0; i < references.length; i++) {
      const ref = references[i]!;
      const entry = this.#cache.get(this.#identity(ref));
      const value = entry && this.#fresh(entry, (ref.cache.ttl ?? this.#defaults.ttl) * 1000, now);
      if (value === undefined) return undefined;
      out[i] = value;
    }
    this.#hits += references.length;
    return out;
  }

  stats(): CacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      stale: this.#stale,
      errors: this.#errors,
      refreshes: this.#refreshes,
      entries: this.#cache.size,
    };
  }

  async close(): Promise<void> {
    this.#watching = true; // no watch starts after close
    for (const stop of this.#stops.splice(0)) stop();
    this.#cache.clear();
    await Promise.all(
      [...this.#backends.values()].map((backend) => backend.close?.() ?? Promise.resolve()),
    );
  }

  #identity(ref: VaultReference): string {
    let id = this.#ids.get(ref);
    if (id === undefined) {
      id = referenceIdentity(ref, this.parseOptions);
      this.#ids.set(ref, id);
    }
    return id;
  }

  #durations(ref: VaultReference): Durations {
    return {
      ttl: (ref.cache.ttl ?? this.#defaults.ttl) * 1000,
      negTtl: (ref.cache.negTtl ?? this.#defaults.negTtl) * 1000,
      resurrectTtl: (ref.cache.resurrectTtl ?? this.#defaults.resurrectTtl) * 1000,
    };
  }

  #lookup(ref: VaultReference, now: number): ResolveOutcome | Promise<ResolveOutcome> {
    let id: string;
    try {
      id = this.#identity(ref);
    } catch (error) {
      if (error instanceof CofferError) return { ok: false, error };
      throw error;
    }
    const backend = this.#backends.get(ref.backend);
    if (backend === undefined) {
      return { ok: false, error: invalidRequest(`no backend "${ref.backend}" for ${id}`) };
    }
    const d = this.#durations(ref);
    let entry = this.#cache.get(id);
    if (entry === undefined) {
      entry = {
        id,
        ref,
        backend,
        value: undefined,
        valueAt: 0,
        error: undefined,
        errorAt: 0,
        holdUntil: 0,
        inflight: undefined,
        refetch: false,
      };
      this.#cache.set(id, entry);
    }
    if (entry.value !== undefined) {
      const fresh = this.#fresh(entry, d.ttl, now);
      if (fresh !== undefined) {
        this.#hits++;
        return { ok: true, value: fresh };
      }
      const age = now - entry.valueAt;
      // Once a refresh has failed, nobody waits on the backend while the value is resurrectable:
      // the old value is served at once and the next refresh runs in the background.
      if (age < d.ttl + d.resurrectTtl && (entry.error !== undefined || now < entry.holdUntil)) {
        this.#stale++;
        if (entry.inflight === undefined && now >= entry.holdUntil) void this.#startFetch(entry);
        return { ok: true, value: entry.value };
      }
    }
    if (
      entry.error !== undefined &&
      entry.inflight === undefined &&
      now - entry.errorAt < d.negTtl
    ) {
      // A remembered failure, unless a value is still resurrectable (handled by #wait).
      if (entry.value === undefined || now - entry.valueAt >= d.ttl + d.resurrectTtl) {
        this.#hits++;
        return { ok: false, error: entry.error };
      }
    }
    this.#misses++;
    return this.#wait(entry, d);
  }

  /** Joins the entry's fetch (starting one now, synchronously); a failure may serve stale. */
  async #wait(entry: Entry, d: Durations): Promise<ResolveOutcome> {
    const outcome = await (entry.inflight ?? this.#startFetch(entry));
    if (outcome.ok) return outcome;
    const value = entry.value;
    if (value !== undefined && this.#now() - entry.valueAt < d.ttl + d.resurrectTtl) {
      this.#stale++;
      return { ok: true, value };
    }
    return outcome;
  }

  /**
   * The entry's value while younger than `ttl` (ms), else undefined. Past 80 % of the ttl it
   * starts a refresh ahead; it also retries (once the hold is over) a refresh that failed, such
   * as one the change feed asked for: the value may be outdated although still "fresh".
   */
  #fresh(entry: Entry, ttl: number, now: number): string | undefined {
    if (entry.value === undefined) return undefined;
    const age = now - entry.valueAt;
    if (age >= ttl) return undefined;
    if (age >= ttl * REFRESH_AHEAD || entry.error !== undefined) this.#refreshAhead(entry, now);
    return entry.value;
  }

  #refreshAhead(entry: Entry, now: number): void {
    if (entry.inflight === undefined && now >= entry.holdUntil) void this.#startFetch(entry);
  }

  #startFetch(entry: Entry): Promise<ResolveOutcome> {
    if (entry.value !== undefined) this.#refreshes++;
    let settle!: (outcome: ResolveOutcome) => void;
    const inflight = new Promise<ResolveOutcome>((resolve) => (settle = resolve));
    entry.inflight = inflight;
    let batch = this.#queue.get(entry.backend);
    if (batch === undefined) {
      batch = [];
      this.#queue.set(entry.backend, batch);
    }
    batch.push({ entry, settle });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
    return inflight;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const queue = this.#queue;
    this.#queue = new Map();
    for (const [backend, batch] of queue) void this.#fetchBatch(backend, batch);
  }

  async #fetchBatch(backend: Backend, batch: readonly Waiting[]): Promise<void> {
    let outcomes: readonly ResolveOutcome[] | undefined;
    let failure: CofferError | undefined;
    try {
      outcomes = await backend.fetch(batch.map((waiting) => waiting.entry.ref));
    } catch (error) {
      failure = backendFailure(backend, error);
    }
    const now = this.#now();
    batch.forEach(({ entry, settle }, i) => {
      const outcome: ResolveOutcome =
        failure !== undefined
          ? { ok: false, error: failure }
          : checkedOutcome(backend, outcomes?.[i]);
      this.#store(entry, outcome, now);
      settle(outcome);
      if (entry.refetch) {
        entry.refetch = false;
        void this.#startFetch(entry);
      }
    });
  }

  #store(entry: Entry, outcome: ResolveOutcome, now: number): void {
    entry.inflight = undefined;
    if (outcome.ok) {
      entry.value = outcome.value;
      entry.valueAt = now;
      entry.error = undefined;
      entry.holdUntil = 0;
      return;
    }
    this.#errors++;
    entry.error = outcome.error;
    entry.errorAt = now;
    if (!BACKEND_DOWN.has(outcome.error.errorCode)) {
      // The backend answered, and said no (revoked, disabled, deleted): nothing to resurrect.
      entry.value = undefined;
      entry.holdUntil = 0;
      return;
    }
    if (entry.value !== undefined) entry.holdUntil = now + RETRY_HOLD_MS;
  }

  #startWatching(): void {
    if (this.#watching) return;
    this.#watching = true;
    for (const backend of this.#backends.values()) {
      if (backend.watch) this.#stops.push(backend.watch((change) => this.#apply(backend, change)));
    }
  }

  /** A pushed change: drop the matching entries, or refetch them in one batch per backend. */
  #apply(backend: Backend, change: BackendChange): void {
    const matching: Entry[] = [];
    for (const entry of this.#cache.values()) {
      if (entry.backend === backend && change.matches(entry.ref)) matching.push(entry);
    }
    for (const entry of matching) {
      if (change.action === "drop") {
        // Waiters of a fetch in flight get its outcome; nothing stays to be served stale.
        entry.value = undefined;
        entry.error = undefined;
        entry.refetch = false;
        this.#cache.delete(entry.id);
      } else if (entry.inflight !== undefined) {
        entry.refetch = true;
      } else {
        void this.#startFetch(entry);
      }
    }
  }
}

export function createResolver(options: ResolverOptions): GatewayResolver {
  return new CachingResolver(options);
}
