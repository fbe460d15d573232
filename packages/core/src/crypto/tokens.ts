/** API tokens (SPEC §4): `cft_…`, shown once, stored only as a hash. */
import { unauthorized } from "../errors.js";
import {
  hashPrefixed,
  isWellFormedPrefixed,
  mintPrefixed,
  prefixedHint,
} from "./prefixed-secret.js";

export const TOKEN_PREFIX = "cft_";

export interface MintedToken {
  /** Shown to its owner once, never stored. */
  token: string;
  /** What the database keeps. */
  hash: string;
  /** A safe label, e.g. `cft_Ab3x`. */
  hint: string;
}

export function mintToken(): MintedToken {
  const token = mintPrefixed(TOKEN_PREFIX);
  return { token, hash: hashToken(token), hint: tokenHint(token) };
}

export function isWellFormedToken(text: string): boolean {
  return isWellFormedPrefixed(TOKEN_PREFIX, text);
}

export const hashToken = (token: string): string => hashPrefixed(token);
export const tokenHint = (token: string): string => prefixedHint(TOKEN_PREFIX, token);

/** The hash to look the token up by; throws UNAUTHORIZED for anything not shaped like one. */
export function tokenLookupHash(text: string): string {
  if (!isWellFormedToken(text)) {
    throw unauthorized("the token is malformed: wrong prefix, length or checksum", {
      reason: "malformed-token",
    });
  }
  return hashToken(text);
}
