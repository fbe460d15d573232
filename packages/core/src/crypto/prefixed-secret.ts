/**
 * Credentials that scanners can recognise offline (SPEC §4): a fixed prefix, 43 base-62
 * characters of randomness (43 × log2(62) ≈ 256.03 bits) and a 6-character base-62 CRC-32 of
 * prefix and body. CRC-32 catches every single-character change, so a mistyped or truncated
 * credential is refused before any lookup.
 */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { BASE62, base62Fixed, randomString } from "./random-string.js";

const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;

const checksum = (prefix: string, body: string): string =>
  base62Fixed(crc32(prefix + body), CHECKSUM_LENGTH);

export function mintPrefixed(prefix: string): string {
  const body = randomString(BASE62, BODY_LENGTH);
  return prefix + body + checksum(prefix, body);
}

const shapes = new Map<string, RegExp>();

/** True when `text` has the prefix, the length, the alphabet and a matching checksum. */
export function isWellFormedPrefixed(prefix: string, text: string): boolean {
  let shape = shapes.get(prefix);
  if (!shape) {
    shape = new RegExp(`^${prefix}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);
    shapes.set(prefix, shape);
  }
  if (!shape.test(text)) return false;
  const body = text.slice(prefix.length, prefix.length + BODY_LENGTH);
  return text.slice(prefix.length + BODY_LENGTH) === checksum(prefix, body);
}

/** The stored form: SHA-256, hex. Enough for 256-bit random strings (no guessing to slow). */
export function hashPrefixed(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** A few leading characters for people to recognise a credential by; safe to show and log. */
export function prefixedHint(prefix: string, text: string): string {
  return text.slice(0, prefix.length + 4);
}
