/**
 * A secret that something owned names in its settings (a rotator's admin connection string or
 * signing key, a hook's templates and signing key): it must exist, the caller must be able to
 * read it (else it is not found, as anywhere), and so must the thing's owner, which uses it.
 */
import { forbidden, heldLevel, includes, notFound, parseSecretRef } from "@coffer/core";
import { invalidRequest } from "@coffer/core";
import { requireAccess } from "../access.js";
import type { Actor } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { SecretRow } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import type { PrincipalRights } from "./principal-rights.js";
import { missing, secretResource } from "./secret-lookup.js";

/** The secret `ref` names (`NAME` is the owner's), checked as above; `what` names the thing. */
export async function namedSecret(
  org: string,
  stores: Pick<Stores, "secrets">,
  tx: Queryable,
  actor: Actor,
  owner: PrincipalRights,
  ref: string,
  field: string,
  what: string,
): Promise<SecretRow> {
  const uri = parseSecretRef(ref, { org, defaultOwner: owner.name });
  if (uri.org !== org) throw notFound(`no org "${uri.org}" here`);
  if (uri.version !== undefined) {
    throw invalidRequest(`${field} names a secret, not one of its versions`, { field });
  }
  const row = await stores.secrets.find(tx, uri.owner, uri.name);
  if (!row) throw missing(org, uri.owner, uri.name);
  const resource = secretResource(org, row.owner, row.owner_kind, row.name);
  requireAccess(actor, resource, "read");
  if (!includes(heldLevel(owner.principal, resource, owner.grants), "read")) {
    throw forbidden(
      `the ${what}'s owner ${owner.name} cannot read ${row.owner}/${row.name} (${field}); share it with ${owner.name} or name another secret`,
      { field, reason: "owner-cannot-read" },
    );
  }
  return row;
}
