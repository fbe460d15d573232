/** The shapes the secret page reads, from the server's router type (never a value). */
import type { ConsoleClient } from "../../trpc.js";

type Client = ConsoleClient["secret"];

/** `secret.describe`'s answer. */
export type SecretMeta = Awaited<ReturnType<Client["describe"]["query"]>>;
/** A row of `secret.versions`. */
export type VersionInfo = Awaited<ReturnType<Client["versions"]["query"]>>[number];
/** `secret.usedBy`'s answer: the hooks, automations and rotators that name the secret. */
export type UsedBy = Awaited<ReturnType<Client["usedBy"]["query"]>>;

/** Permission levels (SPEC §3), each including the ones before. */
export const LEVELS = ["list", "read", "write", "manage"] as const;
export type Level = (typeof LEVELS)[number];

/** What every part of the page is handed: the secret's `OWNER/NAME`, its metadata, `may`. */
export interface SecretPart {
  secret: string;
  meta: SecretMeta;
  /** Whether the signed-in user may act at `level` (true when unknown: the server decides). */
  may: (level: Level) => boolean;
}
