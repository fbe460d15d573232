import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aeadOpen } from "./aead.js";
import {
  protectionKeyAad,
  toKeyObject,
  unwrapDataKey,
  type SealedValue,
  type StoredProtectionKey,
  type VersionContext,
} from "./envelope.js";
import { Keyring, parseRootKey, rootKeyId } from "./keyring.js";
import {
  expectCofferError,
  expectIntegrityError,
  expectNotLeaking,
  thrownBy,
} from "./test-errors.js";

const CANARY = "fake-canary-value-1234";
const ORG = "default";
const ctx: VersionContext = { org: ORG, owner: "alice", name: "DB_PASSWORD", version: 2 };

/** Obviously fake root keys: 32 repeated bytes. */
const fakeRoot = (byte: number): Buffer => Buffer.alloc(32, byte);
const ROOT_A = fakeRoot(0xa1);
const ROOT_B = fakeRoot(0xb2);

const valueArb = fc.oneof(
  fc.string({ unit: "binary", maxLength: 1500 }),
  fc.string({ unit: "grapheme", maxLength: 300 }),
  fc.string({ maxLength: 4000 }),
  fc.constantFrom("", CANARY, '{"user":"fake","password":"fake-pw"}'),
);

const flipped = (buffer: Buffer, index: number, mask: number): Buffer => {
  const copy = Buffer.from(buffer);
  copy[index] = (copy[index] ?? 0) ^ mask;
  return copy;
};

/** Unwraps a stored protection key by hand: what an attacker with the root key would get. */
function unwrapStored(stored: StoredProtectionKey, root: Buffer, org = ORG): Buffer {
  return aeadOpen(
    toKeyObject(root),
    stored.wrapped,
    protectionKeyAad(org, stored.id, rootKeyId(root)),
    () => "test",
  );
}

function keyringWithKey(root = ROOT_A, id = "pk_test"): [Keyring, StoredProtectionKey] {
  const keyring = new Keyring(ORG, [root]);
  return [keyring, keyring.createProtectionKey(id)];
}

const expectUnknownProtectionKey = (fn: () => unknown, id: string): void => {
  const error = expectCofferError(thrownBy(fn), "INTERNAL_SERVER_ERROR", "unknown-protection-key");
  expect(error.message).toContain(id);
};

describe("rootKeyId", () => {
  it("is 16 hex digits, stable, and not the key itself", () => {
    const id = rootKeyId(ROOT_A);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(rootKeyId(Buffer.from(ROOT_A))).toBe(id);
    expect(ROOT_A.toString("hex")).not.toContain(id);
    expect(new Keyring(ORG, [ROOT_A]).activeRootKeyId).toBe(id);
  });

  it("property: differs for different keys", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (a, b) => {
          fc.pre(!Buffer.from(a).equals(Buffer.from(b)));
          expect(rootKeyId(Buffer.from(a))).not.toBe(rootKeyId(Buffer.from(b)));
        },
      ),
    );
    expect(rootKeyId(ROOT_A)).not.toBe(rootKeyId(ROOT_B));
  });
});

describe("parseRootKey", () => {
  it("property: accepts any 32 bytes in base64, around whitespace (a key file's newline)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom("", "\n", " ", "\r\n"),
        (bytes, around) => {
          const text = Buffer.from(bytes).toString("base64");
          expect(text).toHaveLength(44);
          expect(parseRootKey(around + text + around).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
    );
  });

  const expectRejected = (text: string): void => {
    const error = expectCofferError(
      thrownBy(() => parseRootKey(text)),
      "INVALID_REQUEST",
    );
    expect(error.message).toMatch(/32 bytes in base64/);
    // Long enough not to be a chance substring of the fixed message or the stack.
    if (text.trim().length >= 12) expectNotLeaking(error, text.trim());
  };

  it.each<[string, string]>([
    ["empty", ""],
    ["blank", "   \n"],
    ["31 bytes", Buffer.alloc(31, 7).toString("base64")],
    ["33 bytes", Buffer.alloc(33, 7).toString("base64")],
    ["64 bytes", Buffer.alloc(64, 7).toString("base64")],
    ["32 bytes in hex", ROOT_A.toString("hex")],
    ["base64url", Buffer.alloc(32, 0xfb).toString("base64url")],
    ["an inner space", "fakefake fakefakefakefakefakefakefakefakefak="],
    ["text", "not-a-root-key-just-fake-text"],
  ])("rejects %s with a message that does not echo it", (_label, text) => {
    expectRejected(text);
  });

  it("property: rejects any other length, never repeating the input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 3, maxLength: 100 }), (bytes) => {
        fc.pre(bytes.length !== 32);
        expectRejected(Buffer.from(bytes).toString("base64"));
      }),
    );
  });
});

describe("Keyring: construction and protection keys", () => {
  it("needs a root key of 32 bytes", () => {
    expect(() => new Keyring(ORG, [])).toThrow(RangeError);
    expect(() => new Keyring(ORG, [Buffer.alloc(31)])).toThrow(RangeError);
  });

  it("createProtectionKey returns the stored form and holds the key", () => {
    const keyring = new Keyring(ORG, [ROOT_A]);
    const stored = keyring.createProtectionKey();
    expect(stored.id).toMatch(/^pk_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(stored.rootKeyId).toBe(rootKeyId(ROOT_A));
    expect(stored.wrapped.length).toBe(32 + 29);
    expect(keyring.hasProtectionKey(stored.id)).toBe(true);
    expect(keyring.hasProtectionKey("pk_other")).toBe(false);
    expect(keyring.createProtectionKey().id).not.toBe(stored.id);
    expect(keyring.createProtectionKey("pk_named").id).toBe("pk_named");
  });

  it("the stored form holds no raw key material, neither the protection key's nor the root's", () => {
    const [keyring, stored] = keyringWithKey();
    const material = unwrapStored(stored, ROOT_A);
    expect(material.length).toBe(32);
    // It really is the protection key: it unwraps what the keyring seals.
    const sealed = keyring.seal(CANARY, ctx, stored.id);
    const dataKey = unwrapDataKey(sealed, ctx, { id: stored.id, key: toKeyObject(material) });
    expect(dataKey.symmetricKeySize).toBe(32);
    expect(stored.wrapped.includes(material)).toBe(false);
    for (let i = 0; i + 8 <= material.length; i++) {
      expect(stored.wrapped.includes(material.subarray(i, i + 8))).toBe(false);
    }
    expect(stored.wrapped.includes(ROOT_A.subarray(0, 8))).toBe(false);
    const json = JSON.stringify(stored);
    for (const secret of [material, ROOT_A]) {
      expect(json).not.toContain(secret.toString("base64"));
      expect(json).not.toContain(secret.toString("hex"));
    }
  });

  it("another keyring with the same root loads the key and opens what the first sealed", () => {
    const [first, stored] = keyringWithKey();
    const sealed = first.seal(CANARY, ctx, stored.id);
    const second = new Keyring(ORG, [Buffer.from(ROOT_A)]);
    expect(second.hasProtectionKey(stored.id)).toBe(false);
    second.loadProtectionKey(stored);
    expect(second.hasProtectionKey(stored.id)).toBe(true);
    expect(second.open(sealed, ctx)).toBe(CANARY);
  });

  it("a keyring with another root cannot load it, and says which root key is missing", () => {
    const [, stored] = keyringWithKey();
    const other = new Keyring(ORG, [ROOT_B]);
    const error = expectCofferError(
      thrownBy(() => other.loadProtectionKey(stored)),
      "INTERNAL_SERVER_ERROR",
      "unknown-root-key",
    );
    expect(error.message).toContain(stored.id);
    expect(error.message).toContain(stored.rootKeyId);
    expect(error.message).not.toContain(ROOT_A.toString("hex"));
    expect(other.hasProtectionKey(stored.id)).toBe(false);
  });

  it("a stored key relabelled with another root's id, org or key id does not open", () => {
    const [, stored] = keyringWithKey();
    const other = new Keyring(ORG, [ROOT_B]);
    expectIntegrityError(() =>
      other.loadProtectionKey({ ...stored, rootKeyId: other.activeRootKeyId }),
    );
    expectIntegrityError(() => new Keyring("other-org", [ROOT_A]).loadProtectionKey(stored));
    expectIntegrityError(() =>
      new Keyring(ORG, [ROOT_A]).loadProtectionKey({ ...stored, id: "pk_x" }),
    );
  });

  it("property: a flipped byte anywhere in a stored protection key fails to load", () => {
    const [, stored] = keyringWithKey();
    const keyring = new Keyring(ORG, [ROOT_A]);
    fc.assert(
      fc.property(
        fc.nat({ max: stored.wrapped.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (index, mask) => {
          expectIntegrityError(() =>
            keyring.loadProtectionKey({ ...stored, wrapped: flipped(stored.wrapped, index, mask) }),
          );
          expect(keyring.hasProtectionKey(stored.id)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("Keyring: seal and open", () => {
  it("property: sealing then opening returns the value", () => {
    const [keyring, stored] = keyringWithKey();
    const fresh = new Keyring(ORG, [ROOT_A]);
    fresh.loadProtectionKey(stored);
    fc.assert(
      fc.property(valueArb, fc.nat({ max: 1000 }), (value, version) => {
        const at = { ...ctx, version };
        const sealed = keyring.seal(value, at, stored.id);
        expect(sealed.protectionKeyId).toBe(stored.id);
        expect(keyring.open(sealed, at)).toBe(value);
        expect(keyring.open(sealed, at)).toBe(value); // warm
        expect(fresh.open(sealed, at)).toBe(value); // cold, another keyring
      }),
      { numRuns: 200 },
    );
  });

  it("keeps nothing in clear: the canary is in neither the ciphertext nor the wrapped data key", () => {
    const [keyring, stored] = keyringWithKey();
    const sealed = keyring.seal(CANARY, ctx, stored.id);
    const canary = Buffer.from(CANARY, "utf8");
    expect(sealed.ciphertext.includes(canary)).toBe(false);
    expect(sealed.wrappedDataKey.includes(canary)).toBe(false);
    expect(JSON.stringify(sealed)).not.toContain(CANARY);
  });

  describe("a sealed value opens only in its own row", () => {
    const elsewhere: [string, VersionContext][] = [
      ["another version", { ...ctx, version: 1 }],
      ["another secret name", { ...ctx, name: "API_KEY" }],
      ["another owner", { ...ctx, owner: "bob" }],
      ["another org", { ...ctx, org: "acme" }],
    ];

    it.each(elsewhere)("%s fails (cold)", (_label, moved) => {
      const [keyring, stored] = keyringWithKey();
      const sealed = keyring.seal(CANARY, ctx, stored.id);
      const error = expectIntegrityError(() => keyring.open(sealed, moved), CANARY);
      expect(error.message).toMatch(/^the data key of/);
    });

    it.each(elsewhere)("%s fails even with the data key warm in the cache", (_label, moved) => {
      const [keyring, stored] = keyringWithKey();
      const sealed = keyring.seal(CANARY, ctx, stored.id);
      expect(keyring.open(sealed, ctx)).toBe(CANARY); // warms the data-key cache
      const error = expectIntegrityError(() => keyring.open(sealed, moved), CANARY);
      // The data-key unwrap was skipped (cache hit); the value's own binding caught it.
      expect(error.message).toMatch(/^the value of/);
      expect(keyring.open(sealed, ctx)).toBe(CANARY);
    });

    it("a ciphertext moved under another row's data key fails", () => {
      const [keyring, stored] = keyringWithKey();
      const here = keyring.seal(CANARY, ctx, stored.id);
      const other = { ...ctx, name: "OTHER" };
      const there = keyring.seal("fake-other-value", other, stored.id);
      keyring.open(there, other);
      const swapped: SealedValue = { ...there, ciphertext: here.ciphertext };
      expectIntegrityError(() => keyring.open(swapped, other), CANARY);
    });

    it("property: a flipped byte anywhere in the ciphertext fails, warm or cold", () => {
      const [keyring, stored] = keyringWithKey();
      const sealed = keyring.seal(CANARY, ctx, stored.id);
      keyring.open(sealed, ctx);
      const cold = new Keyring(ORG, [ROOT_A]);
      cold.loadProtectionKey(stored);
      fc.assert(
        fc.property(
          fc.nat({ max: sealed.ciphertext.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          (index, mask) => {
            const tampered = { ...sealed, ciphertext: flipped(sealed.ciphertext, index, mask) };
            expectIntegrityError(() => keyring.open(tampered, ctx), CANARY);
            expectIntegrityError(() => cold.open(tampered, ctx), CANARY);
          },
        ),
        { numRuns: 500 },
      );
    });

    it("property: a flipped byte anywhere in the wrapped data key fails, even after a warm open", () => {
      const [keyring, stored] = keyringWithKey();
      const sealed = keyring.seal(CANARY, ctx, stored.id);
      keyring.open(sealed, ctx);
      fc.assert(
        fc.property(
          fc.nat({ max: sealed.wrappedDataKey.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          (index, mask) => {
            const tampered = {
              ...sealed,
              wrappedDataKey: flipped(sealed.wrappedDataKey, index, mask),
            };
            expectIntegrityError(() => keyring.open(tampered, ctx), CANARY);
          },
        ),
        { numRuns: 500 },
      );
    });

    it("a keyring with a different root key cannot open it", () => {
      const [keyring, stored] = keyringWithKey(ROOT_A, "pk_same_id");
      const sealed = keyring.seal(CANARY, ctx, stored.id);
      // Same protection key id, different key material under a different root.
      const [other] = keyringWithKey(ROOT_B, "pk_same_id");
      expectIntegrityError(() => other.open(sealed, ctx), CANARY);
    });

    it("a value relabelled with another loaded protection key fails, even when warm", () => {
      const [keyring, stored] = keyringWithKey(ROOT_A, "pk_1");
      keyring.createProtectionKey("pk_2");
      const sealed = keyring.seal(CANARY, ctx, stored.id);
      keyring.open(sealed, ctx);
      expectIntegrityError(() => keyring.open({ ...sealed, protectionKeyId: "pk_2" }, ctx), CANARY);
    });
  });

  it("an unknown protection key id gives a clear error", () => {
    const [keyring, stored] = keyringWithKey();
    expectUnknownProtectionKey(() => keyring.seal(CANARY, ctx, "pk_missing"), "pk_missing");
    const sealed = keyring.seal(CANARY, ctx, stored.id);
    expectUnknownProtectionKey(
      () => keyring.open({ ...sealed, protectionKeyId: "pk_missing" }, ctx),
      "pk_missing",
    );
    expectUnknownProtectionKey(() => new Keyring(ORG, [ROOT_A]).open(sealed, ctx), stored.id);
    expectUnknownProtectionKey(() => keyring.rewrap(sealed, ctx, "pk_missing"), "pk_missing");
  });

  it("holds a data key warm until its time is up, then unwraps it again", async () => {
    const keyring = new Keyring(ORG, [ROOT_A], { dataKeyTtlMs: 30 });
    const stored = keyring.createProtectionKey();
    const a = keyring.seal(CANARY, ctx, stored.id);
    expect(keyring.isWarm(a)).toBe(false);
    expect(keyring.open(a, ctx)).toBe(CANARY);
    expect(keyring.isWarm(a)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(keyring.isWarm(a)).toBe(false);
    expect(keyring.open(a, ctx)).toBe(CANARY);
    expect(keyring.isWarm(a)).toBe(true);
  });

  it("is bounded in count: the least recently used data key leaves first", () => {
    const keyring = new Keyring(ORG, [ROOT_A], { dataKeyCacheMax: 1 });
    const stored = keyring.createProtectionKey();
    const a = keyring.seal(CANARY, ctx, stored.id);
    const b = keyring.seal("fake-value-b", { ...ctx, version: 3 }, stored.id);
    keyring.open(a, ctx);
    keyring.open(b, { ...ctx, version: 3 });
    expect(keyring.isWarm(a)).toBe(false);
    expect(keyring.isWarm(b)).toBe(true);
  });

  it("a context with extra fields (a whole database row, say) cannot spoil the cache entry", () => {
    const keyring = new Keyring(ORG, [ROOT_A]);
    const stored = keyring.createProtectionKey();
    const sealed = keyring.seal(CANARY, ctx, stored.id);
    const row = { ...ctx, key: "username", wrapped: "x", protectionKeyId: "pk_other", aad: "y" };
    expect(keyring.open(sealed, row)).toBe(CANARY);
    expect(keyring.open(sealed, row)).toBe(CANARY);
  });
});

describe("Keyring: rewrap (a change of protection key)", () => {
  it("changes only the data key; the ciphertext is identical and the result opens", () => {
    const keyring = new Keyring(ORG, [ROOT_A]);
    keyring.createProtectionKey("pk_1");
    const stored2 = keyring.createProtectionKey("pk_2");
    fc.assert(
      fc.property(valueArb, (value) => {
        const sealed = keyring.seal(value, ctx, "pk_1");
        const moved = keyring.rewrap(sealed, ctx, "pk_2");
        expect(moved.protectionKeyId).toBe("pk_2");
        expect(moved.ciphertext.equals(sealed.ciphertext)).toBe(true);
        expect(moved.wrappedDataKey.equals(sealed.wrappedDataKey)).toBe(false);
        expect(keyring.open(moved, ctx)).toBe(value);
        // Only pk_2 is needed from now on: a keyring without pk_1 opens the new form.
        const onlyNew = new Keyring(ORG, [ROOT_A]);
        onlyNew.loadProtectionKey(stored2);
        expect(onlyNew.open(moved, ctx)).toBe(value);
        expectUnknownProtectionKey(() => onlyNew.open(sealed, ctx), "pk_1");
      }),
      { numRuns: 50 },
    );
  });

  it("refuses to rewrap a value under the wrong context", () => {
    const keyring = new Keyring(ORG, [ROOT_A]);
    keyring.createProtectionKey("pk_1");
    keyring.createProtectionKey("pk_2");
    const sealed = keyring.seal(CANARY, ctx, "pk_1");
    expectIntegrityError(() => keyring.rewrap(sealed, { ...ctx, version: 9 }, "pk_2"), CANARY);
  });
});

describe("Keyring: root key rotation", () => {
  const OLD = fakeRoot(0x01);
  const NEW = fakeRoot(0x02);

  it("rewrapProtectionKeys: a keyring with only the new root loads the keys and opens old values", () => {
    const keyring = new Keyring(ORG, [OLD]);
    const created = keyring.createProtectionKey("pk_1");
    const sealed = keyring.seal(CANARY, ctx, "pk_1");
    // A key made by another replica and never loaded here is rewrapped too.
    const elsewhere = new Keyring(ORG, [OLD]).createProtectionKey("pk_2");

    const rewrapped = keyring.rewrapProtectionKeys([created, elsewhere], NEW);
    expect(rewrapped.map((s) => s.id).sort()).toEqual(["pk_1", "pk_2"]);
    for (const stored of rewrapped) {
      expect(stored.rootKeyId).toBe(rootKeyId(NEW));
      expect(stored.wrapped.equals(created.wrapped)).toBe(false);
      expect(
        unwrapStored(stored, NEW).equals(
          unwrapStored(stored.id === "pk_1" ? created : elsewhere, OLD),
        ),
      ).toBe(true);
    }
    // Step one changes nothing for the keyring itself: it still wraps with the old root.
    expect(keyring.activeRootKeyId).toBe(rootKeyId(OLD));
    expect(keyring.open(sealed, ctx)).toBe(CANARY);

    const fresh = new Keyring(ORG, [NEW]);
    for (const stored of rewrapped) fresh.loadProtectionKey(stored);
    expect(fresh.open(sealed, ctx)).toBe(CANARY);
    expectCofferError(
      thrownBy(() => new Keyring(ORG, [NEW]).loadProtectionKey(created)),
      "INTERNAL_SERVER_ERROR",
      "unknown-root-key",
    );
  });

  it("a keyring with [new, old] loads keys wrapped by either root", () => {
    const before = new Keyring(ORG, [OLD]);
    const oldWrapped = before.createProtectionKey("pk_old");
    const oldSealed = before.seal(CANARY, ctx, "pk_old");
    const after = new Keyring(ORG, [NEW]);
    const newWrapped = after.createProtectionKey("pk_new");
    const newSealed = after.seal("fake-new-value", ctx, "pk_new");

    const both = new Keyring(ORG, [NEW, OLD]);
    expect(both.activeRootKeyId).toBe(rootKeyId(NEW));
    both.loadProtectionKey(oldWrapped);
    both.loadProtectionKey(newWrapped);
    expect(both.open(oldSealed, ctx)).toBe(CANARY);
    expect(both.open(newSealed, ctx)).toBe("fake-new-value");
    expect(both.createProtectionKey().rootKeyId).toBe(rootKeyId(NEW));
  });

  it("useRootKey makes the new root active and keeps the old one for unwrapping", () => {
    const keyring = new Keyring(ORG, [OLD]);
    const oldWrapped = keyring.createProtectionKey("pk_1");
    const sealed = keyring.seal(CANARY, ctx, "pk_1");

    keyring.useRootKey(NEW);
    expect(keyring.activeRootKeyId).toBe(rootKeyId(NEW));
    const newWrapped = keyring.createProtectionKey("pk_2");
    expect(newWrapped.rootKeyId).toBe(rootKeyId(NEW));
    expect(keyring.open(sealed, ctx)).toBe(CANARY);
    keyring.loadProtectionKey(oldWrapped); // the old root still unwraps

    const onlyNew = new Keyring(ORG, [NEW]);
    onlyNew.loadProtectionKey(newWrapped);
    expect(onlyNew.hasProtectionKey("pk_2")).toBe(true);

    // Switching back puts the old root first again, and both still unwrap.
    keyring.useRootKey(OLD);
    expect(keyring.activeRootKeyId).toBe(rootKeyId(OLD));
    expect(keyring.createProtectionKey("pk_3").rootKeyId).toBe(rootKeyId(OLD));
    keyring.loadProtectionKey(newWrapped);
    keyring.loadProtectionKey(oldWrapped);
  });

  it("addRootKey learns an older root that unwraps but never wraps", () => {
    const other = new Keyring(ORG, [NEW]);
    const wrapped = other.createProtectionKey("pk_1");
    const keyring = new Keyring(ORG, [OLD]);
    expect(() => keyring.loadProtectionKey(wrapped)).toThrow(/does not have/);
    keyring.addRootKey(NEW);
    keyring.addRootKey(NEW);
    keyring.loadProtectionKey(wrapped);
    expect(keyring.activeRootKeyId).toBe(rootKeyId(OLD));
    expect(keyring.createProtectionKey("pk_2").rootKeyId).toBe(rootKeyId(OLD));
  });

  it("the full online rotation: rewrap, store, useRootKey, and a restart with the new root only", () => {
    const keyring = new Keyring(ORG, [OLD]);
    const created = keyring.createProtectionKey("pk_1");
    const sealed = keyring.seal(CANARY, ctx, "pk_1");
    const stored = keyring.rewrapProtectionKeys([created], NEW);
    keyring.useRootKey(NEW);
    expect(keyring.open(sealed, ctx)).toBe(CANARY);
    const restarted = new Keyring(ORG, [NEW]);
    for (const s of stored) restarted.loadProtectionKey(s);
    expect(restarted.open(sealed, ctx)).toBe(CANARY);
  });
});

describe("Keyring.deriveKey", () => {
  it("is stable per protection key and label, differs across either, and survives root rotation", () => {
    const root = Buffer.alloc(32, 7);
    const keyring = new Keyring("default", [root]);
    const a = keyring.createProtectionKey("pk_a");
    const b = keyring.createProtectionKey("pk_b");
    const k1 = keyring.deriveKey("pk_a", "coffer/audit-chain/v1");
    expect(k1).toHaveLength(32);
    expect(keyring.deriveKey("pk_a", "coffer/audit-chain/v1").equals(k1)).toBe(true);
    expect(keyring.deriveKey("pk_a", "other").equals(k1)).toBe(false);
    expect(keyring.deriveKey("pk_b", "coffer/audit-chain/v1").equals(k1)).toBe(false);
    const newRoot = Buffer.alloc(32, 9);
    const [rewrapped] = keyring.rewrapProtectionKeys([a, b], newRoot).filter((k) => k.id === a.id);
    const after = new Keyring("default", [newRoot]);
    after.loadProtectionKey(rewrapped!);
    expect(after.deriveKey("pk_a", "coffer/audit-chain/v1").equals(k1)).toBe(true);
  });
});
