/**
 * What every rotation operator does first (SPEC §11: "Rights: write on the secret"): find the
 * secret, lock it for a change, check `write`, and run the change in one transaction with its
 * audit event. Shared by the policy and job services.
 */
import { notFound } from "@coffer/core";
import { requireAccess } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { PolicyRow, RotationStore } from "../stores/rotation-store.js";
import type { SecretRow, SecretStore } from "../stores/secret-store.js";
import { audited, type AuditedDeps, type AuditedResult, type AuditedStores } from "./audited.js";
import { addressOf, missing, secretResource } from "./secret-lookup.js";
import { secretUri } from "./secret-view.js";

/** The secret `ref` names, locked for update with `lock`; NOT_FOUND, or FORBIDDEN below `write`. */
export async function writableSecret(
  { org }: { org: string },
  { secrets }: { secrets: SecretStore },
  q: Queryable,
  actor: Actor,
  ref: string,
  lock = false,
): Promise<SecretRow> {
  const addr = addressOf(ref, actor, org);
  const row = await secrets.find(q, addr.owner, addr.name, lock);
  if (!row) throw missing(org, addr.owner, addr.name);
  requireAccess(actor, secretResource(org, row.owner, row.owner_kind, row.name), "write");
  return row;
}

/** Finds and locks the secret, checks `write`, runs the change, audits it. */
export function changeOnSecret<T>(
  deps: AuditedDeps & { org: string },
  stores: AuditedStores & { secrets: SecretStore },
  actor: Actor,
  meta: RequestMeta,
  ref: string,
  action: string,
  change: (tx: Queryable, secret: SecretRow) => Promise<AuditedResult<T>>,
): Promise<T> {
  const addr = addressOf(ref, actor, deps.org);
  const uri = secretUri(deps.org, addr.owner, addr.name);
  return audited(deps, stores, actor, meta, action, uri, async (tx) =>
    change(tx, await writableSecret(deps, stores, tx, actor, ref, true)),
  );
}

/** The secret's policy; NOT_FOUND when it has none. */
export async function requirePolicy(
  org: string,
  rotation: RotationStore,
  q: Queryable,
  secret: SecretRow,
): Promise<PolicyRow> {
  const policy = await rotation.policy(q, secret.id);
  if (!policy) {
    const uri = secretUri(org, secret.owner, secret.name);
    throw notFound(`${uri} has no rotation policy: configure one first`, { uri });
  }
  return policy;
}
