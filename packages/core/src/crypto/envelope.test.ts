import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CofferError } from "../errors.js";
import { AEAD_OVERHEAD, aeadOpen, aeadSeal } from "./aead.js";
import {
  KEY_BYTES,
  dataKeyAad,
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
  type VersionContext,
} from "./envelope.js";
import { expectIntegrityError, thrownBy } from "./test-errors.js";

const CANARY = "fake-canary-value-1234";
const ctx: VersionContext = { org: "default", owner: "alice", name: "DB_PASSWORD", version: 3 };

const newProtectionKey = (id = "pk_test"): ProtectionKey => ({
  id,
  key: toKeyObject(newKeyMaterial()),
});

/** Values: any well-formed text, from empty to a few KB, ASCII, astral, graphemes. */
const valueArb = fc.oneof(
  fc.string({ unit: "binary", maxLength: 1500 }),
  fc.string({ unit: "grapheme", maxLength: 300 }),
  fc.string({ maxLength: 4000 }),
  fc.constantFrom("", CANARY, '{"password":"fake"}', "🔑é\u0000\n\u{10FFFF}"),
);

const flipped = (buffer: Buffer, index: number, mask: number): Buffer => {
  const copy = Buffer.from(buffer);
  copy[index] = (copy[index] ?? 0) ^ mask;
  return copy;
};

const open = (sealed: SealedValue, at: VersionContext, pk: ProtectionKey): string =>
  openWithDataKey(sealed, at, unwrapDataKey(sealed, at, pk));

describe("aead", () => {
  const key = toKeyObject(newKeyMaterial());
  const aad = Buffer.from("fake-aad");

  it("round-trips any bytes under any additional data", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 4096 }),
        fc.uint8Array({ maxLength: 64 }),
        (plain, extra) => {
          const blob = aeadSeal(key, Buffer.from(plain), Buffer.from(extra));
          expect(blob.length).toBe(plain.length + AEAD_OVERHEAD);
          expect(aeadOpen(key, blob, Buffer.from(extra), () => "test blob")).toEqual(
            Buffer.from(plain),
          );
        },
      ),
    );
  });

  it("lays a blob out as [0x01][12-byte nonce][ciphertext][16-byte tag], with a fresh nonce", () => {
    expect(AEAD_OVERHEAD).toBe(1 + 12 + 16);
    const a = aeadSeal(key, Buffer.from(CANARY), aad);
    const b = aeadSeal(key, Buffer.from(CANARY), aad);
    expect(a[0]).toBe(0x01);
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it("fails with another key, other additional data, or a short or unknown-format blob", () => {
    const blob = aeadSeal(key, Buffer.from(CANARY), aad);
    expectIntegrityError(
      () => aeadOpen(toKeyObject(newKeyMaterial()), blob, aad, () => "x"),
      CANARY,
    );
    expectIntegrityError(() => aeadOpen(key, blob, Buffer.from("fake-aad2"), () => "x"), CANARY);
    expectIntegrityError(() => aeadOpen(key, blob, Buffer.alloc(0), () => "x"), CANARY);
    expectIntegrityError(() => aeadOpen(key, blob.subarray(0, AEAD_OVERHEAD - 1), aad, () => "x"));
    expectIntegrityError(() => aeadOpen(key, Buffer.alloc(0), aad, () => "x"));
    expectIntegrityError(() => aeadOpen(key, blob.subarray(0, blob.length - 1), aad, () => "x"));
    expectIntegrityError(() => aeadOpen(key, Buffer.concat([blob, Buffer.of(0)]), aad, () => "x"));
    const error = expectIntegrityError(() =>
      aeadOpen(key, flipped(blob, 0, 0x02), aad, () => "the blob"),
    );
    expect(error.message).toMatch(/^the blob failed its integrity check/);
  });

  it("builds the description only on failure", () => {
    let calls = 0;
    const what = (): string => {
      calls++;
      return "the blob";
    };
    const blob = aeadSeal(key, Buffer.from(CANARY), aad);
    expect(aeadOpen(key, blob, aad, what).toString()).toBe(CANARY);
    expect(calls).toBe(0);
    expectIntegrityError(() => aeadOpen(key, blob, Buffer.from("fake-aad2"), what), CANARY);
    expect(calls).toBe(1);
  });

  it("property: one flipped bit or byte anywhere fails", () => {
    const blob = aeadSeal(key, Buffer.from(CANARY), aad);
    fc.assert(
      fc.property(
        fc.nat({ max: blob.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (index, mask) => {
          expectIntegrityError(
            () => aeadOpen(key, flipped(blob, index, mask), aad, () => "x"),
            CANARY,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("envelope: sealValue, unwrapDataKey, openWithDataKey", () => {
  const pk = newProtectionKey();

  it("property: sealing then opening returns the value", () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const sealed = sealValue(value, ctx, pk);
        expect(sealed.protectionKeyId).toBe(pk.id);
        expect(sealed.wrappedDataKey.length).toBe(KEY_BYTES + AEAD_OVERHEAD);
        expect(sealed.ciphertext.length).toBe(Buffer.byteLength(value, "utf8") + AEAD_OVERHEAD);
        expect(open(sealed, ctx, pk)).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it("seals a 64 KiB value", () => {
    const value = "é".repeat(32 * 1024);
    expect(open(sealValue(value, ctx, pk), ctx, pk)).toBe(value);
  });

  it("refuses text that is not valid UTF-8 (a lone surrogate) with INVALID_REQUEST", () => {
    const error = thrownBy(() => sealValue("fake\uD800value", ctx, pk));
    expect(error).toBeInstanceOf(CofferError);
    expect((error as CofferError).errorCode).toBe("INVALID_REQUEST");
  });

  it("uses a fresh data key and nonce for every seal", () => {
    const a = sealValue(CANARY, ctx, pk);
    const b = sealValue(CANARY, ctx, pk);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(a.wrappedDataKey.equals(b.wrappedDataKey)).toBe(false);
    const keyA = unwrapDataKey(a, ctx, pk).export();
    const keyB = unwrapDataKey(b, ctx, pk).export();
    expect(keyA.length).toBe(KEY_BYTES);
    expect(keyA.equals(keyB)).toBe(false);
  });

  it("keeps nothing in clear: no canary in the ciphertext or wrapped key, no data key either", () => {
    const sealed = sealValue(CANARY, ctx, pk);
    const canary = Buffer.from(CANARY, "utf8");
    expect(sealed.ciphertext.includes(canary)).toBe(false);
    expect(sealed.wrappedDataKey.includes(canary)).toBe(false);
    const dataKey = unwrapDataKey(sealed, ctx, pk).export();
    expect(sealed.wrappedDataKey.includes(dataKey)).toBe(false);
    expect(sealed.ciphertext.includes(dataKey)).toBe(false);
    // Half a key in clear would be as bad: no 8-byte window of the data key appears either.
    for (let i = 0; i + 8 <= dataKey.length; i++) {
      expect(sealed.wrappedDataKey.includes(dataKey.subarray(i, i + 8))).toBe(false);
    }
  });

  describe("a sealed value opens only where it was sealed", () => {
    const sealed = sealValue(CANARY, ctx, pk);
    const elsewhere: [string, VersionContext][] = [
      ["another version", { ...ctx, version: 4 }],
      ["another name", { ...ctx, name: "DB_PASSWORD_2" }],
      ["another owner", { ...ctx, owner: "bob" }],
      ["another org", { ...ctx, org: "other" }],
    ];

    it.each(elsewhere)("the data key is bound to the row: %s fails", (_label, moved) => {
      expectIntegrityError(() => unwrapDataKey(sealed, moved, pk), CANARY);
      expectIntegrityError(() => open(sealed, moved, pk), CANARY);
    });

    it.each(elsewhere)(
      "the value is bound to the row even with the right data key: %s fails",
      (_label, moved) => {
        const dataKey = unwrapDataKey(sealed, ctx, pk);
        expect(openWithDataKey(sealed, ctx, dataKey)).toBe(CANARY);
        expectIntegrityError(() => openWithDataKey(sealed, moved, dataKey), CANARY);
      },
    );

    it("property: any other context fails", () => {
      const ctxArb = fc.record({
        org: fc.constantFrom("default", "other", "default/alice"),
        owner: fc.constantFrom("alice", "bob", "alice/DB_PASSWORD", ""),
        name: fc.constantFrom("DB_PASSWORD", "db_password", "DB_PASSWORD ", "3"),
        version: fc.integer({ min: 0, max: 5 }),
      });
      fc.assert(
        fc.property(ctxArb, (other) => {
          fc.pre(JSON.stringify(other) !== JSON.stringify(ctx));
          expectIntegrityError(() => open(sealed, other, pk), CANARY);
        }),
      );
    });

    it("the wrapped data key is bound to its protection key id", () => {
      const sameKeyOtherId: ProtectionKey = { id: "pk_other", key: pk.key };
      expectIntegrityError(() => unwrapDataKey(sealed, ctx, sameKeyOtherId), CANARY);
    });

    it("a wrong protection key fails", () => {
      expectIntegrityError(() => unwrapDataKey(sealed, ctx, newProtectionKey(pk.id)), CANARY);
    });

    it("a ciphertext under another data key fails", () => {
      const other = sealValue("fake-other-value", ctx, pk);
      const mixed: SealedValue = { ...sealed, wrappedDataKey: other.wrappedDataKey };
      expectIntegrityError(() => open(mixed, ctx, pk), CANARY);
    });

    it("property: a flipped byte anywhere in the ciphertext fails", () => {
      fc.assert(
        fc.property(
          fc.nat({ max: sealed.ciphertext.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          (index, mask) => {
            const tampered = { ...sealed, ciphertext: flipped(sealed.ciphertext, index, mask) };
            expectIntegrityError(() => open(tampered, ctx, pk), CANARY);
          },
        ),
        { numRuns: 1000 },
      );
    });

    it("property: a flipped byte anywhere in the wrapped data key fails", () => {
      fc.assert(
        fc.property(
          fc.nat({ max: sealed.wrappedDataKey.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          (index, mask) => {
            const tampered = {
              ...sealed,
              wrappedDataKey: flipped(sealed.wrappedDataKey, index, mask),
            };
            expectIntegrityError(() => unwrapDataKey(tampered, ctx, pk), CANARY);
          },
        ),
        { numRuns: 1000 },
      );
    });
  });

  it("property: the integrity error never carries the value", () => {
    fc.assert(
      fc.property(
        // A marker keeps the value from being a chance substring of the message or stack.
        fc.string({ unit: "binary", maxLength: 200 }).map((s) => `fake-value-${s}`),
        fc.nat(),
        (value, seed) => {
          const sealed = sealValue(value, ctx, pk);
          const index = seed % sealed.ciphertext.length;
          const tampered = { ...sealed, ciphertext: flipped(sealed.ciphertext, index, 0x80) };
          expectIntegrityError(() => open(tampered, ctx, pk), value);
          expectIntegrityError(() => open(sealed, { ...ctx, version: 99 }, pk), value);
        },
      ),
    );
  });
});

describe("envelope: additional data", () => {
  const place = (org: string, owner: string, name: string, version: number): VersionContext => ({
    org,
    owner,
    name,
    version,
  });
  const differentAad = (a: VersionContext, b: VersionContext): void => {
    expect(valueAad(a).equals(valueAad(b))).toBe(false);
    expect(dataKeyAad(a, "pk_a").equals(dataKeyAad(b, "pk_a"))).toBe(false);
  };

  it("property: contexts that a naive join would confuse give different additional data", () => {
    // b is a re-split of a's fields joined by `sep`: a plain join (with or without a
    // separator) would give both the same additional data, letting a row impersonate another.
    const piece = fc.string({
      unit: fc.constantFrom("a", "/", ",", '"', "\\", ":", "|", "1", "0", "é"),
      maxLength: 5,
    });
    fc.assert(
      fc.property(
        piece,
        piece,
        piece,
        fc.constantFrom("", "|", "/", ",", ":", '","'),
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 20 }),
        (org, owner, name, sep, x, y, version) => {
          const joined = [org, owner, name].join(sep);
          let cuts: number[];
          if (sep === "") {
            cuts = Array.from({ length: joined.length + 1 }, (_, i) => i);
          } else {
            cuts = [];
            for (let i = joined.indexOf(sep); i >= 0; i = joined.indexOf(sep, i + 1)) cuts.push(i);
          }
          const [c1, c2] = [cuts[x % cuts.length] ?? 0, cuts[y % cuts.length] ?? 0].sort(
            (m, n) => m - n,
          );
          // Two non-overlapping occurrences of the separator (any two cuts when there is none).
          fc.pre(c1 !== undefined && c2 !== undefined && (sep === "" || c2 >= c1 + sep.length));
          const b = place(
            joined.slice(0, c1),
            joined.slice(c1 + sep.length, c2),
            joined.slice(c2 + sep.length),
            version,
          );
          const a = place(org, owner, name, version);
          fc.pre(JSON.stringify(a) !== JSON.stringify(b));
          expect([b.org, b.owner, b.name].join(sep)).toBe(joined);
          differentAad(a, b);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("name and version do not run into each other", () => {
    differentAad(place("o", "u", "a1", 2), place("o", "u", "a", 12));
    differentAad(place("o", "u", "a|1", 2), place("o", "u", "a", 1));
    differentAad(place("1:a", "u", "n", 1), place("1", "a", "n", 1));
  });

  it("property: any two different contexts give different additional data", () => {
    const part = fc.string({ unit: fc.constantFrom("a", "|", ":", "1", "é"), maxLength: 3 });
    const ctxArb = fc.record({ org: part, owner: part, name: part, version: fc.nat({ max: 3 }) });
    fc.assert(
      fc.property(ctxArb, ctxArb, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        differentAad(a, b);
      }),
      { numRuns: 2000 },
    );
  });

  it("separates the layers and the protection key ids", () => {
    expect(valueAad(ctx).equals(dataKeyAad(ctx, "pk_a"))).toBe(false);
    expect(dataKeyAad(ctx, "pk_a").equals(dataKeyAad(ctx, "pk_b"))).toBe(false);
    expect(
      protectionKeyAad("default", "pk_a", "r1").equals(protectionKeyAad("default", "pk_a", "r2")),
    ).toBe(false);
    expect(
      protectionKeyAad("default", "pk_a", "r1").equals(protectionKeyAad("other", "pk_a", "r1")),
    ).toBe(false);
  });
});

describe("envelope: rewrapDataKey", () => {
  const from = newProtectionKey("pk_from");
  const to = newProtectionKey("pk_to");

  it("changes only the data key's wrapping; the ciphertext is untouched and opens under the new key", () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const sealed = sealValue(value, ctx, from);
        const moved = rewrapDataKey(sealed, ctx, from, to);
        expect(moved.protectionKeyId).toBe("pk_to");
        expect(moved.ciphertext.equals(sealed.ciphertext)).toBe(true);
        expect(moved.wrappedDataKey.equals(sealed.wrappedDataKey)).toBe(false);
        expect(unwrapDataKey(moved, ctx, to).export()).toEqual(
          unwrapDataKey(sealed, ctx, from).export(),
        );
        expect(open(moved, ctx, to)).toBe(value);
        expectIntegrityError(() => unwrapDataKey(moved, ctx, from));
      }),
      { numRuns: 50 },
    );
  });

  it("refuses to rewrap from the wrong key or context", () => {
    const sealed = sealValue(CANARY, ctx, from);
    expectIntegrityError(() => rewrapDataKey(sealed, ctx, to, from), CANARY);
    expectIntegrityError(() => rewrapDataKey(sealed, { ...ctx, version: 1 }, from, to), CANARY);
  });
});

describe("toKeyObject", () => {
  it("takes 32 bytes only", () => {
    expect(() => toKeyObject(Buffer.alloc(31))).toThrow(RangeError);
    expect(() => toKeyObject(Buffer.alloc(33))).toThrow(RangeError);
    expect(toKeyObject(Buffer.alloc(32)).symmetricKeySize).toBe(32);
  });

  it("copies the material: zeroing the buffer afterwards does not change the key", () => {
    const material = newKeyMaterial();
    const copy = Buffer.from(material);
    const key = toKeyObject(material);
    material.fill(0);
    expect(key.export().equals(copy)).toBe(true);
  });
});
