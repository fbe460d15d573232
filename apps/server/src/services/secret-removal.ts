/**
 * The one way a secret leaves storage, used by a forced delete and by the purge of deletions
 * past their window: its row and versions go, and so does everything keyed by its URI (the
 * grants that name it exactly), so that a secret re-created under the same name starts with no
 * one's access but its owner's. Runs in the caller's transaction.
 *
 * What stays: grants on `secret://org/owner/*` (they name the owner's secrets, not this one),
 * token and trust-policy scopes that name the URI (a scope only narrows what its owner holds),
 * and the audit trail (append-only; where-used counts only reads since the secret was made).
 */
import type { Queryable } from "../db/database.js";
import { secretUri } from "./secret-view.js";

export interface RemovedSecret {
  owner: string;
  name: string;
  uri: string;
}

/** Deletes the secrets matched by `where` (a condition on `secrets`, parameters from $1). */
async function removeWhere(
  tx: Queryable,
  org: string,
  where: string,
  params: readonly unknown[],
): Promise<RemovedSecret[]> {
  const rows = await tx.query<{ owner: string; name: string }>(
    `DELETE FROM secrets WHERE ${where} RETURNING owner, name`,
    params,
  );
  const removed = rows.map((r) => ({ ...r, uri: secretUri(org, r.owner, r.name) }));
  if (removed.length > 0) {
    await tx.query("DELETE FROM grants WHERE resource = ANY($1)", [removed.map((r) => r.uri)]);
  }
  return removed;
}

/** Deletes one secret now (forced delete). */
export async function removeSecret(tx: Queryable, org: string, id: number): Promise<void> {
  await removeWhere(tx, org, "id = $1", [id]);
}

/** Deletes every secret whose recovery window ended by `now` (the purge job). */
export function purgeDeletedSecrets(
  tx: Queryable,
  org: string,
  now: Date,
): Promise<RemovedSecret[]> {
  return removeWhere(tx, org, "status = 'pending_deletion' AND deletion_date <= $1", [now]);
}
