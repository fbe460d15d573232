/**
 * AES-256-GCM with the nonce and tag carried in one blob:
 * `[format 0x01][12-byte nonce][ciphertext][16-byte tag]`. Every key Coffer wraps and every
 * value it seals goes through these two functions.
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from "node:crypto";
import { CofferError } from "../errors.js";

const FORMAT_V1 = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;
export const AEAD_OVERHEAD = HEADER_BYTES + TAG_BYTES;

export function aeadSeal(key: KeyObject | Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  return Buffer.concat(
    [Buffer.of(FORMAT_V1), nonce, head, tail, cipher.getAuthTag()],
    AEAD_OVERHEAD + plaintext.length,
  );
}

/**
 * Opens a blob made by aeadSeal with the same key and additional data. Any difference (key,
 * additional data, one flipped bit) throws an integrity error naming `what()` (built only on
 * failure: this is the reveal path), never the data.
 */
export function aeadOpen(key: KeyObject, blob: Buffer, aad: Buffer, what: () => string): Buffer {
  if (blob.length < AEAD_OVERHEAD || blob[0] !== FORMAT_V1) throw integrityError(what);
  const nonce = blob.subarray(1, HEADER_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  // The tag is sliced to exactly 16 bytes above, so no shorter (truncated) tag can be set.
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(blob.subarray(HEADER_BYTES, blob.length - TAG_BYTES));
  try {
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    head.fill(0);
    throw integrityError(what);
  }
}

function integrityError(what: () => string): CofferError {
  return new CofferError(
    "INTERNAL_SERVER_ERROR",
    `${what()} failed its integrity check: it was altered, belongs to another record, or needs another key`,
    { reason: "integrity" },
  );
}
