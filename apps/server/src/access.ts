/**
 * The server's one gate around core's `decide`: every procedure that touches a secret, a team
 * or the org asks here. A caller with no access at all to a secret is told it does not exist
 * (its existence is not theirs to learn); one who can see it but lacks the level is told so.
 */
import {
  decide,
  forbidden,
  heldLevel,
  includes,
  notFound,
  secretResourceUri,
  type Level,
  type Resource,
} from "@coffer/core";
import type { Actor } from "./auth/actor.js";

export function describeResource(resource: Resource): string {
  switch (resource.kind) {
    case "secret":
      return secretResourceUri(resource);
    case "team":
      return `team ${resource.name}`;
    case "org":
      return "the org";
  }
}

export function can(actor: Actor, resource: Resource, level: Level): boolean {
  return decide({
    principal: actor.principal,
    credential: actor.credential,
    grants: actor.grants,
    resource,
    level,
  }).allow;
}

/** The level the caller holds on a resource now (its token's scopes included); null: none. */
export function accessLevel(actor: Actor, resource: Resource): Level | null {
  return decide({
    principal: actor.principal,
    credential: actor.credential,
    grants: actor.grants,
    resource,
    level: "list",
  }).effective;
}

/**
 * Throws NOT_FOUND (no access at all to a secret) or FORBIDDEN unless `level` is allowed.
 * `hideExistence: false` for creation: the secret may not exist, and saying FORBIDDEN there
 * reveals nothing (the check comes before any look at what exists).
 */
export function requireAccess(
  actor: Actor,
  resource: Resource,
  level: Level,
  { hideExistence = true }: { hideExistence?: boolean } = {},
): void {
  const decision = decide({
    principal: actor.principal,
    credential: actor.credential,
    grants: actor.grants,
    resource,
    level,
  });
  if (decision.allow) return;
  const what = describeResource(resource);
  if (hideExistence && resource.kind === "secret" && decision.effective === null) {
    throw notFound(`${what} not found`, { uri: what });
  }
  const held = heldLevel(actor.principal, resource, actor.grants);
  const why =
    decision.reason === "outside-scope"
      ? `this token's scopes allow ${decision.effective ?? "nothing"} there`
      : `you have ${held ?? "no access"}`;
  throw forbidden(`${level} on ${what} is needed; ${why}`, {
    needed: level,
    reason: decision.reason,
  });
}

/**
 * Calls that reach beyond one resource (managing credentials, listing one's grants or audit
 * trail) need a credential with the `*` scope: a narrowly scoped token sees only its scope.
 */
export function requireFullScope(actor: Actor, what: string, level: Level = "list"): void {
  if (!actor.credential.scopes.some((s) => s.resource === "*" && includes(s.level, level))) {
    throw forbidden(`${what} needs a credential with the * scope at ${level}`, {
      reason: "outside-scope",
    });
  }
}

/**
 * Administration of other users' credentials (list their tokens, disable or delete them, issue
 * one for them): org admins acting as themselves, a user (so that the audit names a person,
 * not an automation token), with a credential whose scopes reach the org, which only `*` does.
 */
export function canAdministerUsers(actor: Actor): boolean {
  return actor.principal.kind === "user" && can(actor, { kind: "org" }, "manage");
}

export function requireUserAdministration(actor: Actor, what: string): void {
  requireAccess(actor, { kind: "org" }, "manage");
  if (actor.principal.kind !== "user") {
    throw forbidden(`${what} is for org admins, signed in as themselves (not a shared token)`, {
      reason: "no-access",
    });
  }
}
