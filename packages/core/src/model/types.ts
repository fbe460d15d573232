/** The model of SPEC §2–§4 as TypeScript types. Schemas in ../schemas.ts validate the same shapes. */

export type OrgRole = "admin" | "member";
export type TeamRole = "admin" | "member";
export type UserStatus = "active" | "disabled";
export type SecretStatus = "enabled" | "disabled" | "pending_deletion";
export type Stage = "current" | "previous" | "pending";

/** Permission levels, each including the ones before (SPEC §3). */
export const LEVELS = ["list", "read", "write", "manage"] as const;
export type Level = (typeof LEVELS)[number];

/** Every secret has exactly one owner: a user or a team (one namespace of names). */
export interface Owner {
  kind: "user" | "team";
  name: string;
}

/** `secret://<org>/<owner>/<name>[#<version>]` taken apart. */
export interface SecretUri {
  org: string;
  owner: string;
  name: string;
  version?: number;
}

/**
 * Sharing: a subject (user or team name) gets `level` on `resource`, which is a secret URI
 * or `secret://<org>/<owner>/*`.
 */
export interface Grant {
  subject: string;
  resource: string;
  level: Level;
}

/**
 * What a token may do: `resource` is a secret URI, `secret://<org>/<owner>/*`, or `*`
 * (everything its owner holds, administration included).
 */
export interface TokenScope {
  resource: string;
  level: Level;
}

/** AWS GetRandomPassword's options, in camelCase. */
export interface RandomSecretOptions {
  length?: number;
  excludeCharacters?: string;
  excludeNumbers?: boolean;
  excludePunctuation?: boolean;
  excludeUppercase?: boolean;
  excludeLowercase?: boolean;
  includeSpace?: boolean;
  requireEachIncludedType?: boolean;
}
