/** The shapes the secret page reads, from the server's router type (never a value). */
import type { ConsoleClient } from "../../trpc.js";

type Client = ConsoleClient["secret"];

/** `secret.describe`'s answer. */
export type SecretMeta = Awaited<ReturnType<Client["describe"]["query"]>>;
/** A row of `secret.versions`. */
export type VersionInfo = Awaited<ReturnType<Client["versions"]["query"]>>[number];
/** `secret.usedBy`'s answer: the hooks, automations and rotators that name the secret. */
export type UsedBy = Awaited<ReturnType<Client["usedBy"]["query"]>>;

/** A permission level (SPEC §3), as `secret.describe` gives the caller's. */
export type Level = SecretMeta["access"];
/** The levels in order, each including the ones before. */
export const LEVELS = ["list", "read", "write", "manage"] as const satisfies readonly Level[];

export const includesLevel = (held: Level, needed: Level): boolean =>
  LEVELS.indexOf(held) >= LEVELS.indexOf(needed);

/** What every part of the page is handed: the secret's `OWNER/NAME`, its metadata, `may`. */
export interface SecretPart {
  secret: string;
  meta: SecretMeta;
  /** Whether the caller holds `level` (describe's `access`); the server still decides. */
  may: (level: Level) => boolean;
}
