/** Uniform random strings over an alphabet, by rejection sampling (no modulo bias). */
import { randomBytes } from "node:crypto";

export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * Each character is drawn uniformly from `alphabet` (1 to 256 distinct characters): a random
 * byte is kept only when it falls below the largest multiple of the alphabet's size.
 */
export function randomString(alphabet: string, length: number): string {
  const size = alphabet.length;
  if (size === 0 || size > 256) throw new RangeError("alphabet must hold 1 to 256 characters");
  const limit = 256 - (256 % size);
  let out = "";
  while (out.length < length) {
    const pool = randomBytes(Math.ceil((length - out.length) * 1.25) + 8);
    for (const byte of pool) {
      if (byte >= limit) continue;
      out += alphabet[byte % size];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Encodes a non-negative integer in base 62, left-padded with "0" to `width` characters. */
export function base62Fixed(value: number, width: number): string {
  let out = "";
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = BASE62[rest % 62]! + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}
