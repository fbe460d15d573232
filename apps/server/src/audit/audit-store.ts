/**
 * The audit store: audit/ is its home (the audit log's tables, `audit_events` and
 * `audit_chain_head`, are named only in this folder). Events are written sealed (audit-log.ts)
 * and chained later (audit-chain.ts); this is what services use: record with a change's
 * transaction, write a reveal's events in a shared batch, and read them back.
 */
import type { Database, Queryable } from "../db/database.js";
import type { RequestMeta } from "../auth/actor.js";
import {
  auditRowsJson,
  AuditWriter,
  insertAuditRowsSql,
  recordAudit,
  type AuditActor,
  type AuditEvent,
  type CallerEvents,
} from "./audit-log.js";
import type { AuditKeyDeps } from "./audit-seal.js";

export interface AuditEventRow {
  id: number;
  at: Date;
  actor: string | null;
  token_id: string | null;
  action: string;
  resource: string | null;
  result: string;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

/** What a listing keeps (each null: no condition). */
export interface AuditFilter {
  resource: string | null;
  /** The caller's own events only (neither admin nor filtering on a secret). */
  onlyActor: string | null;
  actor: string | null;
  action: string | null;
  since: Date | null;
  /** Events before this id (the cursor). */
  before: number | null;
  limit: number;
}

export interface ReaderRow {
  actor: string | null;
  token_id: string | null;
  reads: number;
  last: Date;
}

export class AuditStore {
  readonly #writer: AuditWriter;
  /** The INSERT of sealed rows given as JSON in `$n`, for a statement that also changes data. */
  readonly insertRowsSql = insertAuditRowsSql;

  constructor(private readonly deps: AuditKeyDeps & { db: Database }) {
    this.#writer = new AuditWriter(deps);
  }

  /** Writes events with the Queryable of the change (its transaction). */
  record(
    q: Queryable,
    actor: AuditActor,
    meta: RequestMeta,
    events: AuditEvent | readonly AuditEvent[],
  ): Promise<void> {
    return recordAudit(this.deps, q, actor, meta, events);
  }

  /** Sealed rows of each caller's events as the JSON parameter of insertRowsSql. */
  rowsJson(q: Queryable, callers: readonly CallerEvents[]): Promise<string> {
    return auditRowsJson(this.deps, q, callers);
  }

  /** For calls that change nothing (reveals): concurrent callers share one INSERT. */
  write(
    actor: AuditActor,
    meta: RequestMeta,
    events: AuditEvent | readonly AuditEvent[],
  ): Promise<void> {
    return this.#writer.write(actor, meta, events);
  }

  /** Newest first, `limit + 1` rows (the extra one says there is more). */
  list(q: Queryable, f: AuditFilter): Promise<AuditEventRow[]> {
    return q.query<AuditEventRow>(
      `SELECT id, at, actor, token_id, action, resource, result, ip, request_id, details FROM audit_events
       WHERE ($1::text IS NULL OR resource = $1) AND ($2::text IS NULL OR actor = $2)
         AND ($3::text IS NULL OR actor = $3) AND ($4::text IS NULL OR action = $4)
         AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::bigint IS NULL OR id < $6)
       ORDER BY id DESC LIMIT $7`,
      [f.resource, f.onlyActor, f.actor, f.action, f.since, f.before, f.limit + 1],
    );
  }

  /** Who revealed `resource` since `since`, and how often (an OIDC identity counts as one). */
  readers(q: Queryable, resource: string, since: Date): Promise<ReaderRow[]> {
    return q.query<ReaderRow>(
      // An OIDC identity (`oidc:…`) gets a new token every run: it is counted as one reader.
      `SELECT actor, token_id, count(*)::int AS reads, max(at) AS last
       FROM (SELECT actor, CASE WHEN actor LIKE 'oidc:%' THEN NULL ELSE token_id END AS token_id, at
             FROM audit_events
             WHERE resource = $1 AND action = 'secret.reveal' AND result = 'ok' AND at >= $2) e
       GROUP BY actor, token_id ORDER BY max(at) DESC`,
      [resource, since],
    );
  }
}
