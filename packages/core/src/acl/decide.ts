/**
 * The one function that decides every access (SPEC §3). Deny by default.
 *
 * What a principal holds:
 * - a user: `manage` on its own secrets; on a team's secrets `manage` as org admin or team
 *   admin, `read` as team member; plus every grant to the user or to one of its teams.
 *   A disabled user holds nothing.
 * - a team (shared token made for it): `manage` on the team's secrets, plus grants to it.
 * - the org (shared token made for the org): `manage` on every team's secrets and the org.
 * Administration: the org resource is `manage` for org admins and `list` for members; a team
 * resource is `manage` for org admins and the team's admins and `list` for its members.
 *
 * A credential (token, access key) narrows that: its effective level is the lower of what its
 * principal holds now and the highest of its scopes that covers the resource. Scope `*` covers
 * everything; secret patterns cover secrets only, so administration needs `*`.
 */
import type { Grant, Level, OrgRole, TeamRole, TokenScope, UserStatus } from "../model/types.js";
import { includes, maxLevel, minLevel } from "./levels.js";

export interface Membership {
  team: string;
  role: TeamRole;
}

export type Principal =
  | {
      kind: "user";
      name: string;
      orgRole: OrgRole;
      status: UserStatus;
      teams: readonly Membership[];
    }
  | { kind: "team"; name: string }
  | { kind: "org" };

/**
 * What is being touched. A secret's `name` may be `*`: every secret of that owner (listing
 * them, or checking a token scope `secret://org/owner/*` before issuing it).
 */
export type Resource =
  | { kind: "secret"; org: string; owner: { kind: "user" | "team"; name: string }; name: string }
  | { kind: "team"; name: string }
  | { kind: "org" };

export interface Credential {
  scopes: readonly TokenScope[];
}

export interface AccessRequest {
  principal: Principal;
  /**
   * The token or access key in use; `null` only where a principal acts without one (the
   * server's own bootstrap). Required, so that forgetting it cannot grant full rights.
   */
  credential: Credential | null;
  /** Grants that may apply (those to the principal and its teams); others are ignored. */
  grants: readonly Grant[];
  resource: Resource;
  level: Level;
}

export type DenyReason =
  "principal-disabled" | "no-access" | "insufficient-level" | "outside-scope";

export type Decision =
  { allow: true; effective: Level } | { allow: false; reason: DenyReason; effective: Level | null };

export const ANY_RESOURCE = "*";

export function secretResourceUri(resource: Extract<Resource, { kind: "secret" }>): string {
  return `secret://${resource.org}/${resource.owner.name}/${resource.name}`;
}

const OWNER_WILDCARD_RE = /^secret:\/\/[^/]+\/[^/]+\/\*$/;

/**
 * A grant or scope pattern covers a URI when equal, or when it is `secret://ORG/OWNER/*` over
 * it. The wildcard's shape is checked here too, not only by the schemas: a malformed pattern
 * such as `secret://org/*` that reached storage some other way covers nothing.
 */
export function patternCovers(pattern: string, uri: string): boolean {
  if (pattern === uri) return true;
  return OWNER_WILDCARD_RE.test(pattern) && uri.startsWith(pattern.slice(0, -1));
}

function subjectsOf(principal: Principal): string[] {
  switch (principal.kind) {
    case "user":
      return [principal.name, ...principal.teams.map((m) => m.team)];
    case "team":
      return [principal.name];
    case "org":
      return [];
  }
}

function ownLevel(principal: Principal, resource: Resource): Level | null {
  switch (resource.kind) {
    case "secret": {
      const owner = resource.owner;
      if (principal.kind === "user") {
        if (owner.kind === "user") return owner.name === principal.name ? "manage" : null;
        if (principal.orgRole === "admin") return "manage";
        const membership = principal.teams.find((m) => m.team === owner.name);
        if (!membership) return null;
        return membership.role === "admin" ? "manage" : "read";
      }
      if (principal.kind === "team") {
        return owner.kind === "team" && owner.name === principal.name ? "manage" : null;
      }
      return owner.kind === "team" ? "manage" : null;
    }
    case "team": {
      if (principal.kind === "org") return "manage";
      if (principal.kind === "team") return principal.name === resource.name ? "list" : null;
      if (principal.orgRole === "admin") return "manage";
      const membership = principal.teams.find((m) => m.team === resource.name);
      if (!membership) return null;
      return membership.role === "admin" ? "manage" : "list";
    }
    case "org": {
      if (principal.kind === "org") return "manage";
      if (principal.kind === "team") return null;
      return principal.orgRole === "admin" ? "manage" : "list";
    }
  }
}

/** The highest level a principal holds on a resource now, ignoring any credential. */
export function heldLevel(
  principal: Principal,
  resource: Resource,
  grants: readonly Grant[],
): Level | null {
  if (principal.kind === "user" && principal.status !== "active") return null;
  let level = ownLevel(principal, resource);
  if (resource.kind === "secret") {
    const uri = secretResourceUri(resource);
    const subjects = subjectsOf(principal);
    for (const grant of grants) {
      if (subjects.includes(grant.subject) && patternCovers(grant.resource, uri)) {
        level = maxLevel(level, grant.level);
      }
    }
  }
  return level;
}

/** The highest level a credential's scopes allow on a resource. */
export function scopeLevel(scopes: readonly TokenScope[], resource: Resource): Level | null {
  const uri = resource.kind === "secret" ? secretResourceUri(resource) : null;
  let level: Level | null = null;
  for (const scope of scopes) {
    if (scope.resource === ANY_RESOURCE || (uri !== null && patternCovers(scope.resource, uri))) {
      level = maxLevel(level, scope.level);
    }
  }
  return level;
}

export function decide(request: AccessRequest): Decision {
  const { principal, credential, resource, level } = request;
  if (principal.kind === "user" && principal.status !== "active") {
    return { allow: false, reason: "principal-disabled", effective: null };
  }
  const held = heldLevel(principal, resource, request.grants);
  if (held === null) return { allow: false, reason: "no-access", effective: null };
  const effective = credential ? minLevel(held, scopeLevel(credential.scopes, resource)) : held;
  if (includes(effective, level)) return { allow: true, effective: effective! };
  if (!includes(held, level)) return { allow: false, reason: "insufficient-level", effective };
  return { allow: false, reason: "outside-scope", effective };
}

/**
 * A token never gets more than its owner holds when it is made (SPEC §3). `*` is always
 * acceptable: it means "whatever the owner holds", and is intersected at every request.
 * `resource` is the scope's target resolved by the caller (owner kind looked up).
 */
export function scopeIsWithinHeld(
  principal: Principal,
  scope: TokenScope,
  resource: Resource | null,
  grants: readonly Grant[],
): boolean {
  if (scope.resource === ANY_RESOURCE) return true;
  if (resource === null) return false;
  return includes(heldLevel(principal, resource, grants), scope.level);
}
