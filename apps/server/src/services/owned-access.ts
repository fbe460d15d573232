/**
 * Things owned like secrets (SPEC §11 rotators, §12 hooks and automations): the rights on one
 * are those on every secret of its owner (`secret://ORG/OWNER/*`), decided by the one ACL
 * function. So a user manages its own, team admins and org admins manage a team's, team
 * members read them, and a token scoped to single secrets reaches none.
 *
 * Levels: `read` to see one (list, get) and to use it (point a policy or an automation at it);
 * `manage` to create, change or delete one. A caller who cannot even list its owner's secrets
 * is told it does not exist.
 */
import { invalidRequest, notFound, type Level, type Resource } from "@coffer/core";
import { can, requireAccess } from "../access.js";
import type { Actor } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Stores } from "../stores/stores.js";
import { rightsOf, type PrincipalRights } from "./principal-rights.js";
import { ownerKind, secretResource } from "./secret-lookup.js";

export type OwnedKind = "rotator" | "hook" | "automation";

export interface OwnedAddress {
  owner: string;
  name: string;
}

/** `NAME` (the caller's default owner's) or `OWNER/NAME`; the schema checked the shape. */
export function ownedAddress(kind: OwnedKind, ref: string, actor: Actor): OwnedAddress {
  const slash = ref.indexOf("/");
  if (slash !== -1) return { owner: ref.slice(0, slash), name: ref.slice(slash + 1) };
  if (actor.defaultOwner === undefined) {
    throw invalidRequest(`${kind} "${ref}" needs an owner: write OWNER/NAME`);
  }
  return { owner: actor.defaultOwner, name: ref };
}

export const ownedRef = (r: OwnedAddress): string => `${r.owner}/${r.name}`;

/** What the audit log names: `rotator:OWNER/NAME`, `hook:OWNER/NAME`… */
export const ownedAuditResource = (kind: OwnedKind, r: OwnedAddress): string =>
  `${kind}:${ownedRef(r)}`;

/** The resource whose rights are an owned thing's: every secret of its owner. */
export const ownedResource = (org: string, owner: string, kind: "user" | "team"): Resource =>
  secretResource(org, owner, kind, "*");

/**
 * Throws NOT_FOUND when the thing does not exist or the caller may not even list its owner's
 * secrets (its existence is not theirs to learn), FORBIDDEN below `level`.
 */
export function requireOwned<R extends OwnedAddress & { owner_kind: "user" | "team" }>(
  kind: OwnedKind,
  actor: Actor,
  org: string,
  address: OwnedAddress,
  row: R | undefined,
  level: Level,
): R {
  const resource = row && ownedResource(org, row.owner, row.owner_kind);
  if (!row || !resource || !can(actor, resource, "list")) {
    const ref = ownedRef(address);
    throw notFound(`${kind} ${ref} not found`, { [kind]: ref });
  }
  requireAccess(actor, resource, level);
  return row;
}

/** Of these owners (one, if `only`), those whose things the caller may read, by name. */
export function readableOwners(
  org: string,
  actor: Actor,
  owners: readonly { owner: string; owner_kind: "user" | "team" }[],
  only?: string,
): string[] {
  return owners
    .filter((o) => only === undefined || o.owner === only)
    .filter((o) => can(actor, ownedResource(org, o.owner, o.owner_kind), "read"))
    .map((o) => o.owner);
}

/**
 * The owner of a thing being made or changed, which must exist, and what it holds now (the
 * thing acts for it); the caller needs `manage` on the owner's secrets.
 */
export async function managedOwner(
  org: string,
  stores: Pick<Stores, "principals" | "grants">,
  q: Queryable,
  actor: Actor,
  owner: string,
): Promise<PrincipalRights> {
  const kind = await ownerKind(stores.principals, q, owner);
  requireAccess(actor, ownedResource(org, owner, kind), "manage", { hideExistence: false });
  return rightsOf(stores, q, owner);
}
