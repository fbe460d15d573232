/** The gateway's public contracts: backends, cache settings, the resolver. */
import type {
  BackendSyntax,
  ParseOptions,
  ReferenceResolver,
  ResolveOutcome,
  VaultReference,
} from "@coffer/core";

/** Cache durations, in seconds. */
export interface CacheSettings {
  /** How long a value is fresh (default 60). 0: never fresh, every resolve asks the backend. */
  ttl: number;
  /** How long a failure is remembered (default 10). */
  negTtl: number;
  /** How long after `ttl` the last good value is served while the backend fails (default 300). */
  resurrectTtl: number;
}

export interface CacheOptions extends Partial<CacheSettings> {
  /** Most entries kept (least recently used go first); default 10,000. */
  max?: number;
}

/** A change pushed by a backend: drop or refetch the cached references it matches. */
export interface BackendChange {
  action: "refresh" | "drop";
  matches(ref: VaultReference): boolean;
}

/**
 * A source of values for one backend name in references (`{vault://<name>/…}`).
 * Outcomes carry a CofferError whose message names the reference, never a value.
 */
export interface Backend {
  /** The backend name used in references. */
  readonly name: string;
  /** How its references parse (path rule and its own query keys). */
  readonly syntax: BackendSyntax;
  /** One outcome per reference, in order; one call for many references (batching). */
  fetch(references: readonly VaultReference[]): Promise<readonly ResolveOutcome[]>;
  /** Optional push of changes (coffer's change feed); returns a stop function. */
  watch?(onChange: (change: BackendChange) => void): () => void;
  close?(): Promise<void>;
}

export interface CacheStats {
  /** References answered from the cache without waiting: fresh values and remembered failures. */
  hits: number;
  /** References that waited for a backend fetch (their own or one in flight). */
  misses: number;
  /** References answered with an expired value because its refresh failed (or just failed). */
  stale: number;
  /** Failed fetch outcomes, one per reference per fetch. */
  errors: number;
  /** Fetches of references that already had a value (ahead of expiry, expired, pushed). */
  refreshes: number;
  /** Entries in the cache now. */
  entries: number;
}

export interface GatewayResolver extends ReferenceResolver {
  /** The backends' syntaxes, for findVaultReferences and referenceIdentity. */
  readonly parseOptions: ParseOptions;
  stats(): CacheStats;
  /**
   * Synchronous fast path: the values, in order, when every reference is a fresh cache hit;
   * else undefined (and nothing counted). Fills and returns `into` when given, so a caller can
   * reuse one array. A hit past 80 % of its ttl starts a background refresh, as resolve does.
   */
  peekAll?(references: readonly VaultReference[], into?: string[]): readonly string[] | undefined;
  /** Stops backend watches and closes the backends. */
  close(): Promise<void>;
}

export interface ResolverOptions {
  backends: Backend[];
  cache?: CacheOptions;
  /** Clock in ms (tests). */
  now?: () => number;
}
