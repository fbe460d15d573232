/**
 * `secret://<org>/<owner>/<name>[#<version>]` (SPEC §6.2) and the short forms people type
 * (SPEC §2): `NAME` (the caller's default owner) and `OWNER/NAME`, each with an optional `#N`.
 */
import { MAX_VERSION_NUMBER, PRINCIPAL_NAME_RE, SECRET_NAME_RE } from "../model/limits.js";
import type { SecretUri } from "../model/types.js";
import { ReferenceSyntaxError } from "./reference-error.js";

export const SECRET_SCHEME = "secret://";

export function formatSecretUri(uri: SecretUri): string {
  const version = uri.version !== undefined ? `#${uri.version}` : "";
  return `${SECRET_SCHEME}${uri.org}/${uri.owner}/${uri.name}${version}`;
}

function readVersion(text: string, hashAt: number): number | undefined {
  if (hashAt === -1) return undefined;
  const digits = text.slice(hashAt + 1);
  const n = Number(digits);
  if (!/^[1-9][0-9]{0,9}$/.test(digits) || n > MAX_VERSION_NUMBER) {
    throw new ReferenceSyntaxError(
      `# takes a version number from 1 to ${MAX_VERSION_NUMBER}, without leading zeros`,
      text,
      hashAt + 1,
    );
  }
  return n;
}

function checkParts(
  text: string,
  parts: readonly string[],
  kinds: readonly ("org" | "owner" | "name")[],
  at: number,
): void {
  let offset = at;
  parts.forEach((part, i) => {
    const kind = kinds[i]!;
    const ok = kind === "name" ? SECRET_NAME_RE.test(part) : PRINCIPAL_NAME_RE.test(part);
    if (!ok) {
      const rule =
        kind === "name"
          ? "a secret name is a letter or _, then up to 127 letters, digits, _ or -"
          : `an ${kind} name is a lowercase letter, then up to 38 lowercase letters, digits or -`;
      throw new ReferenceSyntaxError(`bad ${kind} "${part.slice(0, 130)}": ${rule}`, text, offset);
    }
    offset += part.length + 1;
  });
}

export function parseSecretUri(text: string): SecretUri {
  if (text.length > 256) throw new ReferenceSyntaxError("longer than 256 characters", text, 0);
  if (!text.startsWith(SECRET_SCHEME)) {
    throw new ReferenceSyntaxError(`must start with "${SECRET_SCHEME}"`, text, 0);
  }
  const hashAt = text.indexOf("#");
  const path = text.slice(SECRET_SCHEME.length, hashAt === -1 ? undefined : hashAt);
  const parts = path.split("/");
  if (parts.length !== 3) {
    throw new ReferenceSyntaxError(
      "a secret URI is secret://ORG/OWNER/NAME",
      text,
      SECRET_SCHEME.length,
    );
  }
  checkParts(text, parts, ["org", "owner", "name"], SECRET_SCHEME.length);
  const [org, owner, name] = parts as [string, string, string];
  const version = readVersion(text, hashAt);
  return version === undefined ? { org, owner, name } : { org, owner, name, version };
}

export interface ShortFormContext {
  org: string;
  /** The caller itself, or the token's owner. */
  defaultOwner: string;
}

/** Reads a full URI or a short form (`NAME`, `OWNER/NAME`, either with `#N`). */
export function parseSecretRef(text: string, context: ShortFormContext): SecretUri {
  if (text.startsWith(SECRET_SCHEME)) return parseSecretUri(text);
  if (text.length > 200) throw new ReferenceSyntaxError("longer than 200 characters", text, 0);
  const hashAt = text.indexOf("#");
  const path = hashAt === -1 ? text : text.slice(0, hashAt);
  const parts = path.split("/");
  if (parts.length > 2) {
    throw new ReferenceSyntaxError(
      "a secret is NAME, OWNER/NAME or secret://ORG/OWNER/NAME",
      text,
      0,
    );
  }
  checkParts(text, parts, parts.length === 2 ? ["owner", "name"] : ["name"], 0);
  const owner = parts.length === 2 ? parts[0]! : context.defaultOwner;
  const name = parts.at(-1)!;
  const version = readVersion(text, hashAt);
  const uri = { org: context.org, owner, name };
  return version === undefined ? uri : { ...uri, version };
}
