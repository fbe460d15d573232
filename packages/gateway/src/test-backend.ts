/** A counting in-memory Backend for tests (not built into dist). */
import {
  CofferError,
  DEFAULT_BACKENDS,
  notFound,
  parseVaultReference,
  type ResolveOutcome,
  type VaultReference,
} from "@coffer/core";
import type { Backend, BackendChange } from "./types.js";

export class MemoryBackend implements Backend {
  readonly name: string;
  readonly syntax = DEFAULT_BACKENDS["env"]!;
  /** Values by resource path (`a/b`). */
  readonly values = new Map<string, string>();
  /** Each fetch call's resource paths. */
  readonly calls: string[][] = [];
  /** When set, every fetch fails as a whole with this. */
  down: Error | undefined;
  /** When set, fetches wait for it. */
  gate: Promise<void> | undefined;
  readonly #listeners = new Set<(change: BackendChange) => void>();
  closed = false;

  constructor(name = "mem", values: Record<string, string> = {}) {
    this.name = name;
    for (const [k, v] of Object.entries(values)) this.values.set(k, v);
  }

  get fetches(): number {
    return this.calls.length;
  }

  async fetch(references: readonly VaultReference[]): Promise<readonly ResolveOutcome[]> {
    this.calls.push(references.map((r) => r.resource.join("/")));
    if (this.gate) await this.gate;
    if (this.down !== undefined) throw this.down;
    return references.map((ref) => {
      const value = this.values.get(ref.resource.join("/"));
      return value === undefined
        ? { ok: false, error: notFound(`${ref.resource.join("/")} is not there`) }
        : { ok: true, value };
    });
  }

  watch(onChange: (change: BackendChange) => void): () => void {
    this.#listeners.add(onChange);
    return () => this.#listeners.delete(onChange);
  }

  get watchers(): number {
    return this.#listeners.size;
  }

  emit(change: BackendChange): void {
    for (const listener of this.#listeners) listener(change);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

export const ref = (text: string, backends?: Record<string, Backend>): VaultReference =>
  parseVaultReference(
    text,
    backends
      ? { backends: Object.fromEntries(Object.values(backends).map((b) => [b.name, b.syntax])) }
      : { backends: { mem: DEFAULT_BACKENDS["env"]!, other: DEFAULT_BACKENDS["env"]! } },
  );

/** Lets queued microtasks and resolved fetches run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const down = new CofferError("INTERNAL_SERVER_ERROR", "the backend is down");
