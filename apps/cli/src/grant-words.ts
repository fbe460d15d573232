/**
 * The level of `coffer share`: Neu.ro's form takes it as a third word (`share secret:KEY bob
 * read`), Coffer's as `--perm read`; either, both if they agree, read when neither is given.
 */
import { UsageError } from "./errors.js";

export const GRANT_LEVELS = ["list", "read", "write", "manage"] as const;
export type GrantLevel = (typeof GRANT_LEVELS)[number];

const SHARE_FORM = "coffer share secret:NAME|URI USER|TEAM [read|write|manage] [--perm LEVEL]";

const isLevel = (text: string): text is GrantLevel =>
  (GRANT_LEVELS as readonly string[]).includes(text);

export function grantLevel(word: string | undefined, perm: string | undefined): GrantLevel {
  if (word !== undefined && !isLevel(word))
    throw new UsageError(`the level is list, read, write or manage, not "${word}"`, SHARE_FORM);
  if (perm !== undefined && !isLevel(perm))
    throw new UsageError("--perm is list, read, write or manage", SHARE_FORM);
  if (word !== undefined && perm !== undefined && word !== perm)
    throw new UsageError(`give the level once: "${word}" or --perm ${perm}`, SHARE_FORM);
  return word ?? perm ?? "read";
}
