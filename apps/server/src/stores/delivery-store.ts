/**
 * The delivery store (SPEC §12): the transactional outbox (`hook_outbox`), the events some
 * automation matched (`hook_events`), their deliveries (`hook_deliveries`) and each delivery's
 * attempts (`hook_delivery_attempts`); the only module that names these tables. A statement of
 * another store that must write the outbox in its own statement uses OUTBOX_FROM_PAYLOADS.
 */
import type { DeliveryState, HookEventType } from "@coffer/core";
import type { Queryable } from "../db/database.js";
import { ANY_AUTOMATION, joinHook } from "./hook-store.js";

/**
 * A CTE member that writes one outbox row per JSON text of the `text[]` parameter `$n` (the
 * change feed's payloads): the change and its outbox rows are one statement. While no
 * automation exists anywhere, nothing is written: no one could hear it, and an automation
 * made later hears only events raised after it (so writes cost nothing more without hooks).
 */
export const outboxFromPayloads = (n: number): string =>
  `INSERT INTO hook_outbox (payload) SELECT p.payload::jsonb FROM unnest($${n}::text[]) AS p(payload) WHERE ${ANY_AUTOMATION}`;

export interface OutboxRow {
  seq: number;
  at: Date;
  payload: unknown;
}

export interface EventRow {
  id: string;
  type: HookEventType;
  resource: string | null;
  data: Record<string, unknown>;
  at: Date;
}

export interface NewDelivery {
  id: string;
  hookId: number;
  eventId: string;
  messageId: string;
  redeliveryOf: string | null;
}

/** The request as its templates (never rendered). */
export interface DeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

export interface SecretUseRow {
  ref: string;
  uri: string;
  version: number;
}

export interface DeliveryRow {
  id: string;
  hook_id: number;
  hook_owner: string;
  hook_name: string;
  event_id: string;
  message_id: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date | null;
  lease_owner: string | null;
  /** As its last attempt sent it; before any, the hook's templates now. */
  request: DeliveryRequest;
  secrets_used: SecretUseRow[];
  redelivery_of: string | null;
  created_at: Date;
  ended_at: Date | null;
  event_type: HookEventType;
  event_resource: string | null;
  event_data: Record<string, unknown>;
  event_at: Date;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status: number | null;
  error: string | null;
  response_headers: Record<string, string>;
  response_body: string | null;
}

/** What one attempt leaves: the attempt's row and the delivery's state after it. */
export interface AttemptOutcome {
  attempt: Omit<AttemptRow, "delivery_id">;
  state: DeliveryState;
  nextAttemptAt: Date | null;
  request: DeliveryRequest | null;
  secretsUsed: readonly SecretUseRow[];
}

const DELIVERY_COLUMNS = `d.id, d.hook_id, h.owner AS hook_owner, h.name AS hook_name, d.event_id,
  d.message_id, d.state, d.attempts, d.next_attempt_at, d.lease_owner,
  coalesce(d.request, jsonb_build_object('url', h.url, 'headers', h.headers, 'body', h.body)) AS request, d.secrets_used,
  d.redelivery_of, d.created_at, d.ended_at, e.type AS event_type, e.resource AS event_resource,
  e.data AS event_data, e.at AS event_at`;
const DELIVERY_FROM = `hook_deliveries d JOIN hook_events e ON e.id = d.event_id ${joinHook("h", "d.hook_id")}`;

export const deliveryStore = {
  /** Events of their own (not secret changes) into the outbox, in the caller's transaction. */
  async enqueue(q: Queryable, payloads: readonly object[]): Promise<void> {
    if (payloads.length === 0) return;
    await q.query(
      `INSERT INTO hook_outbox (payload) SELECT p::jsonb FROM unnest($1::text[]) AS p WHERE ${ANY_AUTOMATION}`,
      [payloads.map((p) => JSON.stringify(p))],
    );
  },

  /** Whether the outbox holds any row (a look, without taking any). */
  async outboxWaiting(q: Queryable): Promise<boolean> {
    return (await q.query("SELECT 1 FROM hook_outbox LIMIT 1")).length > 0;
  },

  /** Takes up to `limit` outbox rows, oldest first, skipping those another replica holds. */
  takeOutbox(q: Queryable, limit: number): Promise<OutboxRow[]> {
    return q.query<OutboxRow>(
      `DELETE FROM hook_outbox WHERE seq IN (
         SELECT seq FROM hook_outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING seq, at, payload`,
      [limit],
    );
  },

  async insertEvents(q: Queryable, events: readonly EventRow[]): Promise<void> {
    if (events.length === 0) return;
    await q.query(
      `INSERT INTO hook_events (id, type, resource, data, at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[])`,
      [
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.resource),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => e.at),
      ],
    );
  },

  /**
   * New pending deliveries, due `now`; leased to `lease.owner` (who sends them at once) or to
   * whichever replica claims them first.
   */
  async insertDeliveries(
    q: Queryable,
    deliveries: readonly NewDelivery[],
    now: Date,
    lease: { owner: string; until: Date } | null = null,
  ): Promise<void> {
    if (deliveries.length === 0) return;
    await q.query(
      `INSERT INTO hook_deliveries (id, hook_id, event_id, message_id, redelivery_of, state,
           next_attempt_at, lease_owner, lease_until, created_at)
       SELECT d.*, 'pending', $6::timestamptz, $7, $8::timestamptz, $6::timestamptz
       FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS d`,
      [
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.hookId),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.messageId),
        deliveries.map((d) => d.redeliveryOf),
        now,
        lease?.owner ?? null,
        lease?.until ?? null,
      ],
    );
  },

  /** Leases the due pending deliveries (those no live lease holds) to `owner`; returns them. */
  async claimDue(
    q: Queryable,
    owner: string,
    now: Date,
    leaseUntil: Date,
    limit: number,
  ): Promise<DeliveryRow[]> {
    const ids = await q.query<{ id: string }>(
      `WITH due AS (
         SELECT id FROM hook_deliveries
         WHERE state = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
         ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE hook_deliveries d SET lease_owner = $1, lease_until = $3
       FROM due WHERE d.id = due.id RETURNING d.id`,
      [owner, now, leaseUntil, limit],
    );
    return this.deliveries(
      q,
      ids.map((r) => r.id),
    );
  },

  deliveries(q: Queryable, ids: readonly string[]): Promise<DeliveryRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return q.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERY_FROM} WHERE d.id = ANY($1::text[]) ORDER BY d.id`,
      [[...ids]],
    );
  },

  async delivery(q: Queryable, id: string): Promise<DeliveryRow | undefined> {
    return (await this.deliveries(q, [id]))[0];
  },

  /**
   * Records an attempt and the delivery's state after it, if `owner` still holds its lease
   * (else another replica took it over and this outcome is dropped); returns whether it did.
   */
  async recordAttempt(
    q: Queryable,
    id: string,
    owner: string,
    outcome: AttemptOutcome,
    now: Date,
  ): Promise<boolean> {
    const a = outcome.attempt;
    // One statement: the attempt is written only if the delivery's row was (lease still held).
    const rows = await q.query(
      `WITH kept AS (
         UPDATE hook_deliveries SET attempts = $3, state = $4, next_attempt_at = $5, request = $6,
             secrets_used = $7, lease_owner = NULL, lease_until = NULL,
             ended_at = CASE WHEN $4 = 'pending' THEN NULL ELSE $8::timestamptz END
         WHERE id = $1 AND lease_owner = $2 AND state = 'pending' RETURNING id)
       INSERT INTO hook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status, error,
           response_headers, response_body)
       SELECT id, $3, $9, $10, $11, $12, $13, $14 FROM kept RETURNING delivery_id`,
      [
        id,
        owner,
        a.attempt,
        outcome.state,
        outcome.nextAttemptAt,
        outcome.request === null ? null : JSON.stringify(outcome.request),
        JSON.stringify(outcome.secretsUsed),
        now,
        a.started_at,
        a.duration_ms,
        a.status,
        a.error,
        JSON.stringify(a.response_headers),
        a.response_body,
      ],
    );
    return rows.length > 0;
  },

  /** Ends a hook's pending deliveries as failed (the hook was disabled or deleted). */
  async failPending(q: Queryable, hookId: number, now: Date): Promise<void> {
    await q.query(
      `UPDATE hook_deliveries SET state = 'failed', next_attempt_at = NULL, lease_owner = NULL,
           lease_until = NULL, ended_at = $2
       WHERE hook_id = $1 AND state = 'pending'`,
      [hookId, now],
    );
  },

  /** A page of the deliveries to these hooks, newest first, before `before`. */
  async page(
    q: Queryable,
    hookIds: readonly number[],
    failedOnly: boolean,
    before: { at: Date; id: string } | null,
    limit: number,
  ): Promise<DeliveryRow[]> {
    return q.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERY_FROM}
       WHERE d.hook_id = ANY($1::bigint[]) AND (NOT $2 OR d.state = 'failed')
         AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3, $4))
       ORDER BY d.created_at DESC, d.id DESC LIMIT $5`,
      [[...hookIds], failedOnly, before?.at ?? null, before?.id ?? "", limit],
    );
  },

  attempts(q: Queryable, deliveryIds: readonly string[]): Promise<AttemptRow[]> {
    if (deliveryIds.length === 0) return Promise.resolve([]);
    return q.query<AttemptRow>(
      `SELECT delivery_id, attempt, started_at, duration_ms, status, error, response_headers, response_body
       FROM hook_delivery_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt`,
      [[...deliveryIds]],
    );
  },

  /** The pending deliveries and the creation time of the oldest (for /metrics). */
  async backlog(q: Queryable): Promise<{ pending: number; oldest: Date | null }> {
    const [row] = await q.query<{ pending: string | number; oldest: Date | null }>(
      "SELECT count(*) AS pending, min(created_at) AS oldest FROM hook_deliveries WHERE state = 'pending'",
    );
    return { pending: Number(row?.pending ?? 0), oldest: row?.oldest ?? null };
  },

  /** Forgets deliveries that ended before `cutoff`, and events no delivery names any more. */
  async purge(q: Queryable, cutoff: Date): Promise<void> {
    await q.query("DELETE FROM hook_deliveries WHERE state <> 'pending' AND ended_at < $1", [
      cutoff,
    ]);
    await q.query(
      `DELETE FROM hook_events e WHERE e.at < $1
         AND NOT EXISTS (SELECT 1 FROM hook_deliveries d WHERE d.event_id = e.id)`,
      [cutoff],
    );
  },
};

export type DeliveryStore = typeof deliveryStore;
