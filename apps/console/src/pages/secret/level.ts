/**
 * The level the signed-in user holds on a secret, worked out as core's decide does (SPEC §3):
 * used only to hide controls the server would refuse. The server decides every call; a wrong
 * guess here shows a control whose refusal the page then explains.
 */
import type { Session } from "../../session.js";
import { LEVELS, type Level, type SecretMeta } from "./types.js";

interface GrantLike {
  resource: string;
  level: Level;
}

/** As core's patternCovers: equal, or `secret://ORG/OWNER/*` over the URI. */
export function patternCovers(pattern: string, uri: string): boolean {
  if (pattern === uri) return true;
  return /^secret:\/\/[^/]+\/[^/]+\/\*$/.test(pattern) && uri.startsWith(pattern.slice(0, -1));
}

function ownLevel(session: Pick<Session, "user" | "orgRole" | "teams">, meta: SecretMeta) {
  if (meta.ownerKind === "user") return meta.owner === session.user ? "manage" : null;
  if (session.orgRole === "admin") return "manage";
  const membership = session.teams.find((m) => m.team === meta.owner);
  if (membership === undefined) return null;
  return membership.role === "admin" ? "manage" : "read";
}

const rank = (level: Level | null) => (level === null ? -1 : LEVELS.indexOf(level));

/** The highest of the user's own level and the grants (to it or its teams) covering the secret. */
export function heldLevel(
  session: Pick<Session, "user" | "orgRole" | "teams">,
  meta: SecretMeta,
  grantsToMe: readonly GrantLike[],
): Level {
  let held: Level | null = ownLevel(session, meta);
  for (const g of grantsToMe) {
    if (patternCovers(g.resource, meta.uri) && rank(g.level) > rank(held)) held = g.level;
  }
  // describe answered, so the user holds at least `list`.
  return held ?? "list";
}

export const includesLevel = (held: Level, needed: Level): boolean => rank(held) >= rank(needed);
