/**
 * Writing audit events (SPEC §7): actor, token id, action, resource, result, ip, request id
 * and time. Written with the same Queryable as the change (its transaction), so an event is
 * durable when the change is, and a failed audit write fails the call. Details hold versions,
 * counts and reasons: never a value, key or token. Every row is sealed here, by the server,
 * with its time and a random event id (audit-seal.ts): whatever is inserted otherwise is
 * never linked into the chain, and verify names it.
 */
import { Batcher } from "../db/batcher.js";
import type { Database, Queryable } from "../db/database.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import { auditKeys, newEventId, sealOf, type AuditKeyDeps } from "./audit-seal.js";

/** The actor of events the server raises itself (bootstrap, jobs). */
export const SYSTEM = { label: "system", tokenId: null } as const;
export const SYSTEM_META: RequestMeta = { ip: "local", requestId: "system" };

export type AuditResult = "ok" | "denied" | "failed";

/** Who an event names: a caller's label and token, or `system`/`oidc` with no token. */
export type AuditActor = Pick<Actor, "label"> & { tokenId: string | null };

export interface AuditEvent {
  action: string;
  resource?: string | null;
  result?: AuditResult;
  details?: Record<string, unknown>;
}

const isList = (events: AuditEvent | readonly AuditEvent[]): events is readonly AuditEvent[] =>
  Array.isArray(events);

interface AuditRow {
  event_id: string;
  /** ISO 8601 time, whole milliseconds: stored exactly as sealed. */
  at: string;
  actor: string;
  token_id: string | null;
  action: string;
  resource: string | null;
  result: AuditResult;
  ip: string;
  request_id: string;
  details: Record<string, unknown>;
  seal: string;
}

/** The rows of events, each sealed (see audit-seal.ts): the one place rows are built. */
async function sealedRows(
  deps: AuditKeyDeps,
  q: Queryable,
  actor: AuditActor,
  meta: RequestMeta,
  events: AuditEvent | readonly AuditEvent[],
): Promise<AuditRow[]> {
  const list: readonly AuditEvent[] = isList(events) ? events : [events];
  if (list.length === 0) return [];
  const { seal } = await auditKeys(deps, q);
  const ms = Date.now();
  const at = new Date(ms).toISOString();
  return list.map((e) => {
    const fields = {
      event_id: newEventId(),
      actor: actor.label,
      token_id: actor.tokenId,
      action: e.action,
      resource: e.resource ?? null,
      result: e.result ?? "ok",
      ip: meta.ip,
      request_id: meta.requestId,
      details: e.details ?? {},
    };
    return { ...fields, at, seal: sealOf(seal, { ...fields, at_us: `${ms}000` }) };
  });
}

/** The INSERT of audit rows given as JSON in parameter `$n`, to run alone or inside a CTE. */
export const insertAuditRowsSql = (n: number): string =>
  `INSERT INTO audit_events (event_id, at, actor, token_id, action, resource, result, ip, request_id,
                            details, seal)
   SELECT e.event_id, e.at, e.actor, e.token_id, e.action, e.resource, e.result, e.ip, e.request_id,
          e.details, e.seal
   FROM jsonb_to_recordset($${n}::jsonb) AS e(event_id text, at timestamptz, actor text, token_id text,
                                              action text, resource text, result text, ip text,
                                              request_id text, details jsonb, seal text)`;

const INSERT_AUDIT_ROWS = insertAuditRowsSql(1);

/** Events of one caller (a batch of changes holds several callers' events). */
export interface CallerEvents {
  actor: AuditActor;
  meta: RequestMeta;
  events: AuditEvent | readonly AuditEvent[];
}

/**
 * The JSON parameter for insertAuditRowsSql: sealed rows of each caller's events, in order
 * (`q` is the change's transaction).
 */
export async function auditRowsJson(
  deps: AuditKeyDeps,
  q: Queryable,
  callers: readonly CallerEvents[],
): Promise<string> {
  const rows: AuditRow[] = [];
  for (const c of callers) rows.push(...(await sealedRows(deps, q, c.actor, c.meta, c.events)));
  return JSON.stringify(rows);
}

async function insertRows(q: Queryable, rows: readonly AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query(INSERT_AUDIT_ROWS, [JSON.stringify(rows)]);
}

/** Writes events with the Queryable of the change (its transaction). */
export async function recordAudit(
  deps: AuditKeyDeps,
  q: Queryable,
  actor: AuditActor,
  meta: RequestMeta,
  events: AuditEvent | readonly AuditEvent[],
): Promise<void> {
  await insertRows(q, await sealedRows(deps, q, actor, meta, events));
}

/**
 * For calls that change nothing but must be audited before they answer (reveals): concurrent
 * callers share one INSERT (see Batcher). Each caller waits for the commit of its own events.
 */
export class AuditWriter {
  readonly #batcher: Batcher<AuditRow[], true>;

  constructor(private readonly deps: AuditKeyDeps & { db: Database }) {
    this.#batcher = new Batcher<AuditRow[], true>(
      async (batches) => {
        await insertRows(deps.db, batches.flat());
        return batches.map(() => true as const);
      },
      500,
      deps.db.engine === "pglite", // see Batcher: in-process statements never yield
    );
  }

  async write(
    actor: AuditActor,
    meta: RequestMeta,
    events: AuditEvent | readonly AuditEvent[],
  ): Promise<void> {
    await this.#batcher.call(await sealedRows(this.deps, this.deps.db, actor, meta, events));
  }
}
