/**
 * What a user or team holds right now: for a user its org role, status, teams and the grants to
 * it and them; for a team the grants to it. Things that act for a principal outside a request
 * (a rotator acting for its owner) decide with these through core's ACL, as a request would.
 */
import { notFound, type Grant, type Principal } from "@coffer/core";
import type { Queryable } from "../db/database.js";
import type { Stores } from "../stores/stores.js";
import { ownerKind } from "./secret-lookup.js";

export interface PrincipalRights {
  name: string;
  kind: "user" | "team";
  principal: Principal;
  grants: readonly Grant[];
}

/** The rights `name` holds now; NOT_FOUND when no user or team has that name. */
export async function rightsOf(
  stores: Pick<Stores, "principals" | "grants">,
  q: Queryable,
  name: string,
): Promise<PrincipalRights> {
  const kind = await ownerKind(stores.principals, q, name);
  if (kind === "team") {
    const grants = await stores.grants.grantsTo(q, name);
    return { name, kind, principal: { kind: "team", name }, grants };
  }
  const user = await stores.principals.user(q, name);
  if (!user) throw notFound(`no user or team named ${name}`);
  const teams = await stores.principals.memberships(q, name);
  const grants = await stores.grants.grantsToUser(
    q,
    name,
    teams.map((t) => t.team),
  );
  const principal: Principal = {
    kind: "user",
    name,
    orgRole: user.org_role,
    status: user.status,
    teams,
  };
  return { name, kind, principal, grants };
}
