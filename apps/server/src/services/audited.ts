/**
 * Runs a change in one transaction with its audit event; a refused or failed call is audited
 * too (result `denied` or `failed`, with the error code), in a statement of its own. A change
 * that may take a right away empties this server's credential cache when it ends.
 */
import { CofferError } from "@coffer/core";
import type { Actor, RequestMeta } from "../auth/actor.js";
import { KEEPS_CREDENTIALS } from "../auth/credential-cache.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { AuditActor } from "../audit/audit-log.js";
import type { Stores } from "../stores/stores.js";

/** What audited() and auditFailure() use. */
export type AuditedDeps = Pick<Deps, "db" | "log" | "credentialCache">;
export type AuditedStores = Pick<Stores, "audit">;

export interface AuditedResult<T> {
  result: T;
  /** The resource the event names, when only known inside the change. */
  resource?: string;
  details?: Record<string, unknown>;
}

const DENIALS = new Set(["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND"]);

export async function audited<T>(
  deps: AuditedDeps,
  stores: AuditedStores,
  actor: Actor,
  meta: RequestMeta,
  action: string,
  resource: string | null,
  change: (tx: Queryable) => Promise<AuditedResult<T>>,
): Promise<T> {
  try {
    return await deps.db.transaction(async (tx) => {
      const outcome = await change(tx);
      await stores.audit.record(tx, actor, meta, {
        action,
        resource: outcome.resource ?? resource,
        details: outcome.details ?? {},
      });
      return outcome.result;
    });
  } catch (error) {
    await auditFailure(deps, stores, actor, meta, action, resource, error);
    throw error;
  } finally {
    // Committed or not, before the caller hears of it: its next request is checked afresh.
    if (!KEEPS_CREDENTIALS.has(action)) deps.credentialCache.invalidate();
  }
}

/** Records a refused or failed call; a failure to record is logged, the original error stands. */
export async function auditFailure(
  deps: AuditedDeps,
  stores: AuditedStores,
  actor: AuditActor,
  meta: RequestMeta,
  action: string,
  resource: string | null,
  error: unknown,
  /** What else the event should say (never a value, token or key). */
  details: Record<string, unknown> = {},
): Promise<void> {
  const code = error instanceof CofferError ? error.errorCode : "INTERNAL_SERVER_ERROR";
  await stores.audit
    .record(deps.db, actor, meta, {
      action,
      resource,
      result: DENIALS.has(code) ? "denied" : "failed",
      details: { ...details, errorCode: code },
    })
    .catch((auditError: unknown) => {
      deps.log.error(
        { err: auditError, action },
        "could not record a refused call in the audit log",
      );
    });
}
