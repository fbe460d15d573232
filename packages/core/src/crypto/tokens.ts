/**
 * API tokens (SPEC §4, `cft_…`) and rotation job tokens (SPEC §11, `cfj_…`, valid for one job
 * and dead at its end): shown once, stored only as a hash. Both are prefixed secrets
 * (prefixed-secret.ts); a prefix is part of the checksum, so one kind never passes for the other.
 */
import { unauthorized } from "../errors.js";
import {
  hashPrefixed,
  isWellFormedPrefixed,
  mintPrefixed,
  prefixedHint,
} from "./prefixed-secret.js";

export const TOKEN_PREFIX = "cft_";
export const JOB_TOKEN_PREFIX = "cfj_";

export interface MintedToken {
  /** Shown to its owner once, never stored. */
  token: string;
  /** What the database keeps. */
  hash: string;
  /** A safe label, e.g. `cft_Ab3x`. */
  hint: string;
}

/** The hash of any prefixed token: SHA-256, hex. */
export const hashToken = (token: string): string => hashPrefixed(token);

function tokenKind(prefix: string, what: string, reason: string) {
  const isWellFormed = (text: string): boolean => isWellFormedPrefixed(prefix, text);
  const hint = (token: string): string => prefixedHint(prefix, token);
  return {
    isWellFormed,
    hint,
    mint(): MintedToken {
      const token = mintPrefixed(prefix);
      return { token, hash: hashToken(token), hint: hint(token) };
    },
    lookupHash(text: string): string {
      if (!isWellFormed(text)) {
        throw unauthorized(`the ${what} is malformed: wrong prefix, length or checksum`, {
          reason,
        });
      }
      return hashToken(text);
    },
  };
}

const apiTokens = tokenKind(TOKEN_PREFIX, "token", "malformed-token");
const jobTokens = tokenKind(JOB_TOKEN_PREFIX, "job token", "malformed-job-token");

export const mintToken = (): MintedToken => apiTokens.mint();
export const isWellFormedToken = (text: string): boolean => apiTokens.isWellFormed(text);
export const tokenHint = (token: string): string => apiTokens.hint(token);
/** The hash to look the token up by; throws UNAUTHORIZED for anything not shaped like one. */
export const tokenLookupHash = (text: string): string => apiTokens.lookupHash(text);

/** A rotation job's token: the job row keeps its hash; the rotator gets the token once. */
export const mintJobToken = (): MintedToken => jobTokens.mint();
export const isWellFormedJobToken = (text: string): boolean => jobTokens.isWellFormed(text);
export const jobTokenHint = (token: string): string => jobTokens.hint(token);
/** The hash to find the job by; throws UNAUTHORIZED for anything not shaped like a job token. */
export const jobTokenLookupHash = (text: string): string => jobTokens.lookupHash(text);
