/**
 * Rotators are owned like secrets (SPEC §11): the rights on a rotator are those on every
 * secret of its owner (`secret://ORG/OWNER/*`), decided by the one ACL function. So a user
 * manages its own rotators, team admins and org admins manage a team's, team members read
 * them, and a token scoped to single secrets reaches none.
 *
 * Levels: `read` to see a rotator (list, get) and to point a policy at it; `manage` to create
 * or delete one. A caller who cannot even list its owner's secrets is told it does not exist.
 */
import { invalidRequest, notFound, type Level, type Resource } from "@coffer/core";
import { can, requireAccess } from "../access.js";
import type { Actor } from "../auth/actor.js";
import { secretResource } from "./secret-lookup.js";

export interface RotatorAddress {
  owner: string;
  name: string;
}

/** `NAME` (the caller's default owner's) or `OWNER/NAME`; the schema checked the shape. */
export function rotatorAddress(ref: string, actor: Actor): RotatorAddress {
  const slash = ref.indexOf("/");
  if (slash !== -1) return { owner: ref.slice(0, slash), name: ref.slice(slash + 1) };
  if (actor.defaultOwner === undefined) {
    throw invalidRequest(`rotator "${ref}" needs an owner: write OWNER/NAME`);
  }
  return { owner: actor.defaultOwner, name: ref };
}

export const rotatorRef = (r: RotatorAddress): string => `${r.owner}/${r.name}`;

/** What the audit log names: `rotator:OWNER/NAME`. */
export const rotatorAuditResource = (r: RotatorAddress): string => `rotator:${rotatorRef(r)}`;

/** The resource whose rights are a rotator's: every secret of its owner. */
export const rotatorResource = (org: string, owner: string, kind: "user" | "team"): Resource =>
  secretResource(org, owner, kind, "*");

/**
 * Throws NOT_FOUND when the rotator does not exist or the caller may not even list its
 * owner's secrets (its existence is not theirs to learn), FORBIDDEN below `level`.
 */
export function requireRotator<R extends RotatorAddress & { owner_kind: "user" | "team" }>(
  actor: Actor,
  org: string,
  address: RotatorAddress,
  row: R | undefined,
  level: Level,
): R {
  const resource = row && rotatorResource(org, row.owner, row.owner_kind);
  if (!row || !resource || !can(actor, resource, "list")) {
    const ref = rotatorRef(address);
    throw notFound(`rotator ${ref} not found`, { rotator: ref });
  }
  requireAccess(actor, resource, level);
  return row;
}
