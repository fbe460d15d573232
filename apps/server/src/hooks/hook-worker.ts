/**
 * The hook worker (SPEC §12), on every replica: it empties the outbox into deliveries and sends
 * the deliveries that are due, at least once, across replicas.
 *
 * - Dispatch: one transaction takes outbox rows (`FOR UPDATE SKIP LOCKED`, so replicas share
 *   them), matches each event against the automations on its type, and writes the events some
 *   automation matched and one delivery per (event, hook). A crash before the commit puts the
 *   rows back; after it, the deliveries are there. An automation fires only if its owner may
 *   hear the event now: at least `list` on the secret (a secret event), being the token's owner
 *   or an org admin (token events), an admin (audit), the hook's owner (`hook.disabled`).
 * - Delivery: due deliveries are claimed with a lease (as rotation jobs are) and attempted
 *   concurrently (hook-attempt.ts); an attempt whose replica died is taken over once its lease
 *   ends, and sent again with the same `webhook-id` (at least once; duplicates only so).
 *
 * Woken by the changes this replica hears on the change feed (its own and other replicas'),
 * 10 ms after the first of a burst (one dispatch for all), and by a poll for what the feed does
 * not carry (retries coming due, events of their own); a change alone reads only the outbox,
 * and claims deliveries only when it made some.
 */
import {
  BASE62,
  heldLevel,
  includes,
  newWebhookMessageId,
  patternCovers,
  randomString,
} from "@coffer/core";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { rightsOf, type PrincipalRights } from "../services/principal-rights.js";
import { secretResource } from "../services/secret-lookup.js";
import type { DeliveryRow, EventRow, NewDelivery } from "../stores/delivery-store.js";
import type { FiringAutomation, HookRow } from "../stores/hook-store.js";
import type { Stores } from "../stores/stores.js";
import type { HookAttempts } from "./hook-attempt.js";
import { newDeliveryId, newEventId, outboxEvent, type OutboxEvent } from "./hook-events.js";

export interface HookWorkerOptions {
  /** How long a claim holds a delivery (default 60 s, past the 10 s send timeout). */
  leaseMs?: number;
  /** How often the worker looks for due deliveries and outbox rows (default 1 s). */
  intervalMs?: number;
  /** Outbox rows taken, and deliveries claimed, at once (default 200). */
  batch?: number;
  /** Attempts in flight at once on this replica (default 64). */
  concurrency?: number;
  /** This replica's name in leases (default: random). */
  owner?: string;
}

/** Rounds of dispatch-and-claim one tick makes while work remains. */
const MAX_ROUNDS_PER_TICK = 50;
/** How long a heard change waits for others before the outbox is read (one transaction for all). */
const CHANGE_DELAY_MS = 10;

export class HookWorker {
  readonly owner: string;
  readonly #leaseMs: number;
  readonly #intervalMs: number;
  readonly #batch: number;
  readonly #concurrency: number;
  readonly #inflight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  /** Deliveries may be due: the next round claims. */
  #claimWanted = true;
  #changeTimer: NodeJS.Timeout | undefined;
  /** The last claim could not take all that was due (slots or batch full). */
  #saturated = false;
  #unlisten: (() => void) | undefined;

  constructor(
    private readonly deps: Pick<Deps, "db" | "now" | "log" | "org" | "changes">,
    private readonly stores: Pick<Stores, "hooks" | "deliveries" | "principals" | "grants">,
    private readonly attempts: HookAttempts,
    options: HookWorkerOptions = {},
  ) {
    this.owner = options.owner ?? `replica-${randomString(BASE62, 12)}`;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#batch = options.batch ?? 200;
    this.#concurrency = options.concurrency ?? 64;
  }

  /** Dispatches the outbox and starts the due deliveries' attempts; one tick at a time. */
  tick(): Promise<void> {
    this.#claimWanted = true;
    return this.#run();
  }

  #run(): Promise<void> {
    this.#running ??= this.#rounds().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * Something may be waiting: tick now (or once more, if a tick runs). `due`: deliveries may
   * be due (a poll, a redelivery, a freed slot), so look for them too; otherwise (a change heard)
   * only the outbox is read, and deliveries are claimed if it made some.
   */
  wake(due = true): void {
    if (due) this.#claimWanted = true;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#run().catch((err: unknown) => this.deps.log.error({ err }, "the hook worker failed"));
  }

  /**
   * A change was heard: tick within CHANGE_DELAY_MS, once for all the changes heard meanwhile
   * (a burst of writes costs one dispatch transaction, not one each).
   */
  #changed(): void {
    if (this.#changeTimer !== undefined) return;
    this.#changeTimer = setTimeout(() => {
      this.#changeTimer = undefined;
      // Heard while a tick runs: wait for its end, then the delay again (a flood of writes
      // gets one dispatch per delay, never a dispatch loop competing with the writes).
      if (this.#running) this.#running.finally(() => this.#changed()).catch(() => undefined);
      else this.wake(false);
    }, CHANGE_DELAY_MS);
  }

  /** Resolves once every attempt started so far has ended (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0 || this.#running) {
      await Promise.allSettled([...this.#inflight, this.#running]);
    }
  }

  async #rounds(): Promise<void> {
    for (let i = 0; i < MAX_ROUNDS_PER_TICK; i++) {
      this.#again = false;
      const { taken, made } = await this.#dispatch();
      const free = this.#concurrency - this.#inflight.size;
      const look = made > 0 || this.#claimWanted;
      this.#claimWanted = false;
      const claimed = free > 0 && look ? await this.#claim(Math.min(free, this.#batch)) : [];
      // Every slot taken, or a full claim: more may be due once a slot frees.
      this.#saturated = free <= 0 || claimed.length === Math.min(free, this.#batch);
      if (free > 0 && this.#saturated) this.#claimWanted = true;
      if (claimed.length > 0) {
        const hookIds = [...new Set(claimed.map((row) => row.hook_id))];
        const hooks = new Map(
          (await this.stores.hooks.hooksByIds(this.deps.db, hookIds)).map((h) => [Number(h.id), h]),
        );
        for (const row of claimed) this.#start(row, hooks.get(Number(row.hook_id)));
      }
      const more = taken === this.#batch || this.#claimWanted;
      if (!more && !this.#again) return;
      if (this.#inflight.size >= this.#concurrency && !this.#again) return;
    }
  }

  #start(row: DeliveryRow, hook: HookRow | undefined): void {
    const run = this.attempts
      .run(row, this.owner, hook)
      .then(() => undefined)
      .catch((err: unknown) =>
        this.deps.log.error({ err, delivery: row.id }, "a hook delivery could not be recorded"),
      )
      .finally(() => {
        this.#inflight.delete(run);
        // A slot came free: more may be due.
        if (this.#timer && this.#saturated) this.wake();
      });
    this.#inflight.add(run);
  }

  #claim(limit: number): Promise<DeliveryRow[]> {
    const now = this.deps.now();
    return this.deps.db.transaction((tx) =>
      this.stores.deliveries.claimDue(
        tx,
        this.owner,
        now,
        new Date(now.getTime() + this.#leaseMs),
        limit,
      ),
    );
  }

  /** Moves outbox rows into deliveries; returns how many rows it took and deliveries it made. */
  async #dispatch(): Promise<{ taken: number; made: number }> {
    // A look first, outside a transaction: with no automation anywhere the outbox stays empty,
    // and a write-heavy server should pay one cheap statement per delay, not a transaction.
    if (!(await this.stores.deliveries.outboxWaiting(this.deps.db))) return { taken: 0, made: 0 };
    return this.deps.db.transaction(async (tx) => {
      const rows = await this.stores.deliveries.takeOutbox(tx, this.#batch);
      if (rows.length === 0) return { taken: 0, made: 0 };
      const events: OutboxEvent[] = [];
      for (const row of rows) {
        const event = outboxEvent(row.payload, row.at, Number(row.seq));
        if (event) events.push(event);
        else
          this.deps.log.warn({ seq: row.seq }, "dropped an outbox row this server does not read");
      }
      const types = [...new Set(events.map((e) => e.type))];
      const firing = types.length === 0 ? [] : await this.stores.hooks.firing(tx, types);
      if (firing.length === 0) return { taken: rows.length, made: 0 };
      const hears = await this.#audience(tx, firing);
      const now = this.deps.now();
      const kept: EventRow[] = [];
      const deliveries: NewDelivery[] = [];
      for (const event of events) {
        const hooks = new Set<number>();
        for (const automation of firing) {
          if (automation.type !== event.type || hooks.has(automation.hook_id)) continue;
          if (event.seq <= Number(automation.after_seq)) continue; // raised before it was made
          if (!matches(automation.match, event) || !hears(automation, event)) continue;
          hooks.add(automation.hook_id);
        }
        if (hooks.size === 0) continue;
        const row: EventRow = {
          id: newEventId(),
          type: event.type,
          resource: event.resource,
          data: event.data,
          at: event.at,
        };
        kept.push(row);
        for (const hookId of hooks) {
          deliveries.push({
            id: newDeliveryId(),
            hookId,
            eventId: row.id,
            messageId: newWebhookMessageId(),
            redeliveryOf: null,
          });
        }
      }
      await this.stores.deliveries.insertEvents(tx, kept);
      await this.stores.deliveries.insertDeliveries(tx, deliveries, now);
      return { taken: rows.length, made: deliveries.length };
    });
  }

  /** Whether an automation's owner may hear an event, with each owner's rights read once. */
  async #audience(
    tx: Queryable,
    firing: readonly FiringAutomation[],
  ): Promise<(automation: FiringAutomation, event: OutboxEvent) => boolean> {
    const rights = new Map<string, PrincipalRights | null>();
    for (const owner of new Set(firing.map((a) => a.owner))) {
      rights.set(owner, await rightsOf(this.stores, tx, owner).catch(() => null));
    }
    return (automation, event) => {
      const held = rights.get(automation.owner);
      if (!held) return false;
      const audience = event.audience;
      switch (audience.kind) {
        case "secret": {
          const resource = secretResource(
            this.deps.org,
            audience.owner,
            audience.ownerKind,
            audience.name,
          );
          return includes(heldLevel(held.principal, resource, held.grants), "list");
        }
        case "principals":
          return audience.names.includes(automation.owner) && active(held);
        case "admins":
          return (
            held.principal.kind === "user" && held.principal.orgRole === "admin" && active(held)
          );
      }
    };
  }

  start(): void {
    if (this.#timer) return;
    this.#unlisten = this.deps.changes.onChange(() => this.#changed());
    this.#timer = setInterval(() => this.wake(), this.#intervalMs);
    this.#timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.#unlisten?.();
    this.#unlisten = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#changeTimer);
    this.#changeTimer = undefined;
    await this.settled();
  }
}

const active = (rights: PrincipalRights): boolean =>
  rights.principal.kind !== "user" || rights.principal.status === "active";

/** `*` matches every event; a secret pattern matches the events of the secrets it covers. */
function matches(pattern: string, event: OutboxEvent): boolean {
  if (pattern === "*") return true;
  return (
    event.audience.kind === "secret" &&
    event.resource !== null &&
    patternCovers(pattern, event.resource)
  );
}
