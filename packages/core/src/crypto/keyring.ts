/**
 * The keys a server holds in memory, and how.
 *
 * - Root keys: the active one wraps new protection keys; older ones stay known so that
 *   protection keys wrapped before a rotation (by this or another replica) still open.
 *   A root key is named by a fingerprint (HMAC of a fixed label), which reveals nothing.
 * - Protection keys: unwrapped once when loaded and held as KeyObjects (few, long-lived).
 * - Data keys: an LRU of unwrapped data keys, bounded in count and age. This is what makes
 *   a warm reveal one AES-GCM decryption instead of two. A cache hit skips only the data-key
 *   unwrap: the value's own additional data (org, owner, name, version) is checked on every
 *   open, so a ciphertext moved to another row still fails.
 */
import { Buffer } from "node:buffer";
import { createHmac, hkdfSync, randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import { CofferError, invalidRequest } from "../errors.js";
import { aeadOpen, aeadSeal } from "./aead.js";
import {
  KEY_BYTES,
  newKeyMaterial,
  openWithDataKey,
  protectionKeyAad,
  rewrapDataKey,
  sealValue,
  toKeyObject,
  unwrapDataKey,
  valueAad,
  type ProtectionKey,
  type SealedValue,
  type StoredProtectionKey,
  type VersionContext,
} from "./envelope.js";
import type { KeyObject } from "node:crypto";

export interface KeyringOptions {
  /** Most data keys held unwrapped (default 10,000, about 1 MiB). */
  dataKeyCacheMax?: number;
  /** Longest a data key stays unwrapped in memory, in ms (default 10 minutes). */
  dataKeyTtlMs?: number;
}

/** An unwrapped data key, the wrap it came from, its place and that place's value AAD. */
interface WarmDataKey extends VersionContext {
  key: KeyObject;
  protectionKeyId: string;
  wrapped: Buffer;
  aad: Buffer;
}

/**
 * The data-key cache's key: the 16-byte GCM tag of the wrapped data key, as a short string
 * (this is hashed on every reveal). A hit counts only when the whole wrap and its protection
 * key id are the same bytes, so an altered row fails whether or not its key is warm.
 */
function warmKeyId(sealed: SealedValue): string {
  const wrapped = sealed.wrappedDataKey;
  return wrapped.toString("latin1", wrapped.length - 16);
}

interface RootKey {
  id: string;
  key: KeyObject;
}

/** The root key's public name: the first 16 hex digits of HMAC-SHA256(key, label). */
export function rootKeyId(material: Buffer): string {
  return createHmac("sha256", material).update("coffer/root-key-id/v1").digest("hex").slice(0, 16);
}

/** Reads a root key from its base64 text (32 bytes); the message never repeats the input. */
export function parseRootKey(base64: string): Buffer {
  const text = base64.trim();
  const material = Buffer.from(text, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || material.length !== KEY_BYTES) {
    throw invalidRequest(`a root key must be ${KEY_BYTES} bytes in base64 (44 characters)`);
  }
  return material;
}

export class Keyring {
  readonly org: string;
  #roots: RootKey[] = [];
  #protectionKeys = new Map<string, ProtectionKey>();
  #dataKeys: LRUCache<string, WarmDataKey>;

  /** `rootKeys[0]` is the active root key; the others only unwrap older protection keys. */
  constructor(org: string, rootKeys: readonly Buffer[], options: KeyringOptions = {}) {
    if (rootKeys.length === 0) throw new RangeError("a keyring needs a root key");
    this.org = org;
    for (const material of rootKeys) this.#roots.push(toRoot(material));
    this.#dataKeys = new LRUCache({
      max: options.dataKeyCacheMax ?? 10_000,
      ttl: options.dataKeyTtlMs ?? 10 * 60_000,
    });
  }

  get activeRootKeyId(): string {
    return this.#roots[0]!.id;
  }

  /** Makes a new protection key, holds it, and returns the form to store. */
  createProtectionKey(id: string = `pk_${randomUUID()}`): StoredProtectionKey {
    const material = newKeyMaterial();
    const stored = this.#wrap(id, material, this.#roots[0]!);
    this.#protectionKeys.set(id, { id, key: toKeyObject(material) });
    material.fill(0);
    return stored;
  }

  /** Unwraps a stored protection key with the root key that wrapped it, and holds it. */
  loadProtectionKey(stored: StoredProtectionKey): void {
    const root = this.#root(stored);
    const material = aeadOpen(
      root.key,
      stored.wrapped,
      protectionKeyAad(this.org, stored.id, root.id),
      () => `protection key ${stored.id}`,
    );
    this.#protectionKeys.set(stored.id, { id: stored.id, key: toKeyObject(material) });
    material.fill(0);
  }

  /**
   * A key for another purpose derived from a protection key (HKDF-SHA256 with `label`), e.g.
   * the audit chain's HMAC key. It survives root-key rotation, as protection keys do.
   */
  deriveKey(protectionKeyId: string, label: string): Buffer {
    const material = this.#protectionKey(protectionKeyId).key.export();
    const derived = Buffer.from(hkdfSync("sha256", material, Buffer.alloc(0), label, KEY_BYTES));
    material.fill(0);
    return derived;
  }

  /** True while the data key of `sealed` is held unwrapped (for tests and metrics). */
  isWarm(sealed: SealedValue): boolean {
    const warm = this.#dataKeys.get(warmKeyId(sealed));
    return warm !== undefined && warm.wrapped.equals(sealed.wrappedDataKey);
  }

  hasProtectionKey(id: string): boolean {
    return this.#protectionKeys.has(id);
  }

  /**
   * Root-key rotation, step one: the stored protection keys given (all of them, read from the
   * database in the rotating transaction, including keys this process never loaded) wrapped
   * by `newRoot`, to be written back in that transaction. Step two, `useRootKey(newRoot)`,
   * once it has committed. Protection and data keys are unchanged, so reveals go on meanwhile.
   */
  rewrapProtectionKeys(
    stored: readonly StoredProtectionKey[],
    newRoot: Buffer,
  ): StoredProtectionKey[] {
    const root = toRoot(newRoot);
    return stored.map((entry) => {
      const material = aeadOpen(
        this.#root(entry).key,
        entry.wrapped,
        protectionKeyAad(this.org, entry.id, entry.rootKeyId),
        () => `protection key ${entry.id}`,
      );
      const rewrapped = this.#wrap(entry.id, material, root);
      material.fill(0);
      return rewrapped;
    });
  }

  /** Knows `material` as an older root key (it unwraps, never wraps); a known key is kept as is. */
  addRootKey(material: Buffer): void {
    const root = toRoot(material);
    if (!this.#roots.some((r) => r.id === root.id)) this.#roots.push(root);
  }

  /** Makes `material` the active root key; the previous ones still unwrap. */
  useRootKey(material: Buffer): void {
    const root = toRoot(material);
    this.#roots = [root, ...this.#roots.filter((r) => r.id !== root.id)];
  }

  seal(value: string, ctx: VersionContext, protectionKeyId: string): SealedValue {
    return sealValue(value, ctx, this.#protectionKey(protectionKeyId));
  }

  open(sealed: SealedValue, ctx: VersionContext): string {
    const cacheKey = warmKeyId(sealed);
    let warm = this.#dataKeys.get(cacheKey);
    if (
      !warm ||
      warm.protectionKeyId !== sealed.protectionKeyId ||
      !warm.wrapped.equals(sealed.wrappedDataKey)
    ) {
      const key = unwrapDataKey(sealed, ctx, this.#protectionKey(sealed.protectionKeyId));
      warm = {
        key,
        protectionKeyId: sealed.protectionKeyId,
        wrapped: Buffer.from(sealed.wrappedDataKey),
        // Only the four fields: a caller's richer object must not overwrite the entry's own.
        org: ctx.org,
        owner: ctx.owner,
        name: ctx.name,
        version: ctx.version,
        aad: valueAad(ctx),
      };
      this.#dataKeys.set(cacheKey, warm);
    }
    // The stored additional data is reused only for the very place it was made for; a row
    // that carries this data key elsewhere is checked against its own place, and fails.
    const samePlace =
      warm.version === ctx.version &&
      warm.name === ctx.name &&
      warm.owner === ctx.owner &&
      warm.org === ctx.org;
    return openWithDataKey(sealed, ctx, warm.key, samePlace ? warm.aad : valueAad(ctx));
  }

  /** A change of the secret's protection key: only the data key is re-wrapped. */
  rewrap(sealed: SealedValue, ctx: VersionContext, toProtectionKeyId: string): SealedValue {
    return rewrapDataKey(
      sealed,
      ctx,
      this.#protectionKey(sealed.protectionKeyId),
      this.#protectionKey(toProtectionKeyId),
    );
  }

  #root(stored: StoredProtectionKey): RootKey {
    const root = this.#roots.find((r) => r.id === stored.rootKeyId);
    if (!root) {
      throw new CofferError(
        "INTERNAL_SERVER_ERROR",
        `protection key ${stored.id} is wrapped by root key ${stored.rootKeyId}, which this server does not have`,
        { reason: "unknown-root-key" },
      );
    }
    return root;
  }

  #protectionKey(id: string): ProtectionKey {
    const pk = this.#protectionKeys.get(id);
    if (!pk) {
      throw new CofferError("INTERNAL_SERVER_ERROR", `protection key ${id} is not loaded`, {
        reason: "unknown-protection-key",
      });
    }
    return pk;
  }

  #wrap(id: string, material: Buffer, root: RootKey): StoredProtectionKey {
    const wrapped = aeadSeal(root.key, material, protectionKeyAad(this.org, id, root.id));
    return { id, rootKeyId: root.id, wrapped };
  }
}

function toRoot(material: Buffer): RootKey {
  return { id: rootKeyId(material), key: toKeyObject(material) };
}
