/**
 * Writing audit events (SPEC §7): actor, token id, action, resource, result, ip, request id
 * and time. Written with the same Queryable as the change (its transaction), so an event is
 * durable when the change is, and a failed audit write fails the call. Details hold versions,
 * counts and reasons: never a value, key or token.
 */
import type { Queryable } from "../db/database.js";
import type { Actor, RequestMeta } from "../auth/actor.js";

/** The actor of events the server raises itself (bootstrap, jobs). */
export const SYSTEM = { label: "system", tokenId: null } as const;
export const SYSTEM_META: RequestMeta = { ip: "local", requestId: "system" };

export type AuditResult = "ok" | "denied" | "failed";

export interface AuditEvent {
  action: string;
  resource?: string | null;
  result?: AuditResult;
  details?: Record<string, unknown>;
}

const isList = (events: AuditEvent | readonly AuditEvent[]): events is readonly AuditEvent[] =>
  Array.isArray(events);

export async function recordAudit(
  q: Queryable,
  actor: Pick<Actor, "label"> & { tokenId: string | null },
  meta: RequestMeta,
  events: AuditEvent | readonly AuditEvent[],
): Promise<void> {
  const list: readonly AuditEvent[] = isList(events) ? events : [events];
  if (list.length === 0) return;
  await q.query(
    `INSERT INTO audit_events (actor, token_id, action, resource, result, ip, request_id, details)
     SELECT $1, $2, e.action, e.resource, e.result, $3, $4, e.details
     FROM jsonb_to_recordset($5::jsonb) AS e(action text, resource text, result text, details jsonb)`,
    [
      actor.label,
      actor.tokenId,
      meta.ip,
      meta.requestId,
      JSON.stringify(
        list.map((e) => ({
          action: e.action,
          resource: e.resource ?? null,
          result: e.result ?? "ok",
          details: e.details ?? {},
        })),
      ),
    ],
  );
}
