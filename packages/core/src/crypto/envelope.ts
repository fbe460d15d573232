/**
 * Envelope encryption of secret versions (SPEC §5). A version's value is sealed under a fresh
 * 256-bit data key; the data key is wrapped by a protection key; protection keys are wrapped
 * by the root key (see keyring.ts). The additional authenticated data binds each layer to its
 * place: a value to (org, owner, name, version), a data key to the same plus the protection key
 * id, a protection key to (org, id, root key id). A blob copied elsewhere does not open.
 */
import { Buffer } from "node:buffer";
import { createSecretKey, randomBytes, type KeyObject } from "node:crypto";
import { invalidRequest } from "../errors.js";
import { aeadOpen, aeadSeal } from "./aead.js";

export const KEY_BYTES = 32;

/** Where a secret version lives; every field goes into the additional authenticated data. */
export interface VersionContext {
  org: string;
  owner: string;
  name: string;
  version: number;
}

/** What is stored for one version: nothing here opens without the protection key. */
export interface SealedValue {
  protectionKeyId: string;
  wrappedDataKey: Buffer;
  ciphertext: Buffer;
}

/** A protection key in memory. */
export interface ProtectionKey {
  id: string;
  key: KeyObject;
}

/** A protection key as stored: wrapped by the root key whose id it records. */
export interface StoredProtectionKey {
  id: string;
  rootKeyId: string;
  wrapped: Buffer;
}

/**
 * Each field is length-prefixed (`<length>:<text>`), so no choice of names can make two
 * different places produce the same additional data. (A template string: this runs on every
 * reveal, and JSON.stringify cost a measurable share of a small value's decryption.)
 */
const lp = (text: string): string => `${text.length}:${text}`;

export const valueAad = (ctx: VersionContext): Buffer =>
  Buffer.from(
    `coffer/value/v1|${lp(ctx.org)}|${lp(ctx.owner)}|${lp(ctx.name)}|${ctx.version}`,
    "utf8",
  );

export const dataKeyAad = (ctx: VersionContext, protectionKeyId: string): Buffer =>
  Buffer.from(
    `coffer/data-key/v1|${lp(ctx.org)}|${lp(ctx.owner)}|${lp(ctx.name)}|${ctx.version}|${lp(protectionKeyId)}`,
    "utf8",
  );

export const protectionKeyAad = (org: string, id: string, rootKeyId: string): Buffer =>
  Buffer.from(`coffer/protection-key/v1|${lp(org)}|${lp(id)}|${lp(rootKeyId)}`, "utf8");

const describe = (ctx: VersionContext): string =>
  `version ${ctx.version} of secret://${ctx.org}/${ctx.owner}/${ctx.name}`;
const valueOf = (ctx: VersionContext) => (): string => `the value of ${describe(ctx)}`;
const dataKeyOf = (ctx: VersionContext) => (): string => `the data key of ${describe(ctx)}`;

export function newKeyMaterial(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function toKeyObject(material: Buffer): KeyObject {
  if (material.length !== KEY_BYTES) throw new RangeError("an AES-256 key is 32 bytes");
  return createSecretKey(material);
}

export function sealValue(value: string, ctx: VersionContext, pk: ProtectionKey): SealedValue {
  if (!value.isWellFormed()) throw invalidRequest("a secret value must be valid UTF-8 text");
  // The data key is used once, so it stays a Buffer (a KeyObject would cost more to make
  // than it saves) and is zeroed as soon as it has sealed the value.
  const material = newKeyMaterial();
  const wrappedDataKey = aeadSeal(pk.key, material, dataKeyAad(ctx, pk.id));
  const ciphertext = aeadSeal(material, Buffer.from(value, "utf8"), valueAad(ctx));
  material.fill(0);
  return { protectionKeyId: pk.id, wrappedDataKey, ciphertext };
}

export function unwrapDataKey(
  sealed: SealedValue,
  ctx: VersionContext,
  pk: ProtectionKey,
): KeyObject {
  const material = aeadOpen(pk.key, sealed.wrappedDataKey, dataKeyAad(ctx, pk.id), dataKeyOf(ctx));
  const key = toKeyObject(material);
  material.fill(0);
  return key;
}

/** `aad` must be valueAad(ctx); callers that keep it from an earlier open may pass it. */
export function openWithDataKey(
  sealed: SealedValue,
  ctx: VersionContext,
  dataKey: KeyObject,
  aad: Buffer = valueAad(ctx),
): string {
  return aeadOpen(dataKey, sealed.ciphertext, aad, valueOf(ctx)).toString("utf8");
}

/** A change of protection key: the data key is re-wrapped, the ciphertext stays as it is. */
export function rewrapDataKey(
  sealed: SealedValue,
  ctx: VersionContext,
  from: ProtectionKey,
  to: ProtectionKey,
): SealedValue {
  const material = aeadOpen(
    from.key,
    sealed.wrappedDataKey,
    dataKeyAad(ctx, from.id),
    dataKeyOf(ctx),
  );
  const wrappedDataKey = aeadSeal(to.key, material, dataKeyAad(ctx, to.id));
  material.fill(0);
  return { protectionKeyId: to.id, wrappedDataKey, ciphertext: sealed.ciphertext };
}
