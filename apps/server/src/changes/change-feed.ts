/**
 * The change feed (SPEC §7): secret changes announced with PostgreSQL NOTIFY inside the
 * change's own transaction, so subscribers hear only committed changes, and from every replica
 * sharing the database (each replica LISTENs on one connection of its own). Payloads name the
 * secret, never a value.
 */
import { EventEmitter } from "node:events";
import type { SecretChange } from "@coffer/core";
import type { Database, Queryable } from "../db/database.js";
import type { Logger } from "../logger.js";
import { outboxFromPayloads } from "../stores/delivery-store.js";

/** What travels through NOTIFY: the public change plus what access checks need. */
export interface FeedChange extends SecretChange {
  owner: string;
  ownerKind: "user" | "team";
  name: string;
}

/** Payloads are small; NOTIFY refuses more than 8000 bytes. */
export function changePayload(change: FeedChange): string {
  return JSON.stringify(change);
}

/**
 * One channel per schema: replicas of one deployment share it, test schemas do not. (The
 * credential triggers of migration 005 compute the same name in SQL.)
 */
export function channelFor(schema: string, base = "coffer_changes"): string {
  const suffix = schema === "public" ? "" : `_${schema.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`;
  return `${base}${suffix}`.slice(0, 63);
}

function parseChange(payload: string): FeedChange | undefined {
  try {
    const parsed = JSON.parse(payload) as Partial<FeedChange> | null;
    if (typeof parsed?.uri !== "string" || typeof parsed.event !== "string") return undefined;
    return parsed as FeedChange;
  } catch {
    return undefined;
  }
}

export class ChangeFeed {
  readonly #events = new EventEmitter();
  readonly #closed = new AbortController();
  /** Aborted when the listening connection had a gap: its subscribers may have missed changes. */
  #gap = new AbortController();
  #channel = channelFor("public");
  #stop: (() => Promise<void>) | undefined;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    /** How far a subscriber may fall behind before its stream is ended. */
    private readonly maxQueued = 1000,
  ) {
    this.#events.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const [row] = await this.db.query<{ schema: string }>("SELECT current_schema() AS schema");
    this.#channel = channelFor(row?.schema ?? "public");
    this.#stop = await this.db.listen(
      this.#channel,
      (payload) => {
        const change = parseChange(payload);
        if (change) this.#events.emit("change", change);
        else this.log.warn({ channel: this.#channel }, "ignored a malformed change notification");
      },
      () => {
        // End every stream: clients reconnect, and a reconnection refetches what they cache.
        this.log.warn("the change feed's connection came back; its subscribers start again");
        const gap = this.#gap;
        this.#gap = new AbortController();
        gap.abort();
      },
    );
  }

  get channel(): string {
    return this.#channel;
  }

  /**
   * Announces a change from inside its transaction: delivered when (and if) it commits. The
   * same payload goes into the hooks' outbox (SPEC §12), in the same statement.
   */
  async notify(tx: Queryable, change: FeedChange): Promise<void> {
    await tx.query(`WITH outbox AS (${outboxFromPayloads(2)}) SELECT pg_notify($1, $2[1])`, [
      this.#channel,
      [changePayload(change)],
    ]);
  }

  /**
   * Changes as they come, until `signal` aborts, the feed closes, its connection has a gap, or
   * the subscriber falls `maxQueued` changes behind (its stream ends rather than the server
   * holding an unbounded queue: the client reconnects and refetches what it caches).
   */
  async *subscribe(signal: AbortSignal | undefined): AsyncGenerator<FeedChange> {
    const ends = [this.#closed.signal, this.#gap.signal];
    const stop = AbortSignal.any(signal ? [signal, ...ends] : ends);
    const queue: FeedChange[] = [];
    let behind = false;
    let wake: (() => void) | undefined;
    const listener = (change: FeedChange): void => {
      if (queue.length >= this.maxQueued) behind = true;
      else queue.push(change);
      wake?.();
    };
    const onStop = (): void => wake?.();
    this.#events.on("change", listener);
    stop.addEventListener("abort", onStop);
    try {
      for (;;) {
        if (stop.aborted || behind) return;
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.#events.off("change", listener);
      stop.removeEventListener("abort", onStop);
    }
  }

  /** Calls `listener` on every change heard (this replica's and others'); returns the undo. */
  onChange(listener: (change: FeedChange) => void): () => void {
    this.#events.on("change", listener);
    return () => this.#events.off("change", listener);
  }

  async close(): Promise<void> {
    this.#closed.abort();
    await this.#stop?.();
    this.#stop = undefined;
  }
}
