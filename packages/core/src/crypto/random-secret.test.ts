import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CofferError } from "../errors.js";
import type { RandomSecretOptions } from "../model/types.js";
import {
  CHARACTER_SETS,
  acceptanceProbability,
  DEFAULT_RANDOM_LENGTH,
  drawExactly,
  generateRandomSecret,
  randomAlphabet,
} from "./random-secret.js";
import { BASE62, base62Fixed, randomString } from "./random-string.js";
import {
  chiSquareCritical,
  chiSquareUniform,
  chiSquareUpperTail,
  countChars,
} from "./test-chi-square.js";

/** Printable ASCII, space (0x20) to tilde (0x7e): 95 characters. */
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join("");
/** AWS GetRandomPassword's default alphabet: printable ASCII without the space, 94 characters. */
const NO_SPACE = PRINTABLE.slice(1);

const isLower = (c: string): boolean => CHARACTER_SETS.lowercase.includes(c);
const isUpper = (c: string): boolean => CHARACTER_SETS.uppercase.includes(c);
const isDigit = (c: string): boolean => CHARACTER_SETS.numbers.includes(c);
const isPunct = (c: string): boolean => CHARACTER_SETS.punctuation.includes(c);

/**
 * False alarm rate of every uniformity test below: 1e-4 per test run, so the suite is not
 * flaky. For df = 93 this threshold is 152.45 (scipy: chi2.isf(1e-4, 93) = 152.4497); the
 * helper computes it from the exact chi-square tail and is checked against published values.
 */
const P_FALSE_ALARM = 1e-4;

function expectInvalidRequest(fn: () => unknown): CofferError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CofferError);
  const error = thrown as CofferError;
  expect(error.errorCode).toBe("INVALID_REQUEST");
  return error;
}

/** The deliberately wrong sampler: byte % size, no rejection. */
function moduloBiasedString(alphabet: string, length: number): string {
  let out = "";
  for (const byte of randomBytes(length)) out += alphabet[byte % alphabet.length] ?? "";
  return out;
}

describe("chi-square helper", () => {
  it("matches published critical values", () => {
    expect(chiSquareCritical(1, 0.05)).toBeCloseTo(3.8415, 3);
    expect(chiSquareCritical(10, 0.01)).toBeCloseTo(23.2093, 3);
    expect(chiSquareCritical(100, 0.001)).toBeCloseTo(149.4493, 3);
    expect(chiSquareCritical(93, 1e-4)).toBeCloseTo(152.4497, 3);
    expect(chiSquareUpperTail(152.4497, 93)).toBeCloseTo(1e-4, 6);
  });

  it("computes Pearson's statistic", () => {
    expect(chiSquareUniform([10, 10, 10, 10])).toBe(0);
    // expected 10 each: (20-10)²/10 + (0-10)²/10 = 20
    expect(chiSquareUniform([20, 0, 10, 10])).toBe(20);
    expect(countChars("abca", "abc")).toEqual([2, 1, 1]);
    expect(() => countChars("abd", "abc")).toThrow();
  });
});

describe("randomString", () => {
  it("draws exactly `length` characters from the alphabet", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...PRINTABLE), minLength: 1, maxLength: 95 }),
        fc.nat({ max: 300 }),
        (raw, length) => {
          const alphabet = [...new Set(raw)].join("");
          const out = randomString(alphabet, length);
          expect(out).toHaveLength(length);
          for (const c of out) expect(alphabet).toContain(c);
        },
      ),
    );
  });

  it("handles the edges of the alphabet size", () => {
    expect(randomString("x", 50)).toBe("x".repeat(50));
    expect(randomString(BASE62, 0)).toBe("");
    const all256 = Array.from({ length: 256 }, (_, i) => String.fromCharCode(0x100 + i)).join("");
    expect(randomString(all256, 1000)).toHaveLength(1000);
    expect(() => randomString("", 5)).toThrow(RangeError);
    expect(() => randomString(all256 + "!", 5)).toThrow(RangeError);
  });

  it.each([
    ["base62 (62 does not divide 256)", BASE62],
    ["printable ASCII (95 does not divide 256)", PRINTABLE],
    ["200 characters (256 % 200 = 56 favoured bytes)", ""],
  ])("is uniform over %s: no modulo bias", (_label, given) => {
    const alphabet =
      given || Array.from({ length: 200 }, (_, i) => String.fromCharCode(0x100 + i)).join("");
    const sample = randomString(alphabet, 200_000);
    const statistic = chiSquareUniform(countChars(sample, alphabet));
    expect(statistic).toBeLessThan(chiSquareCritical(alphabet.length - 1, P_FALSE_ALARM));
  });

  it("the same statistic and sample size flag a modulo-biased sampler", () => {
    // Proof that the uniformity tests can fail: `byte % size` without rejection favours the
    // first 256 % size characters. Over 200 characters, 56 of them are twice as likely; over
    // base62, 8 of them are 5/4 as likely. Both land far above the threshold (~24,000 and
    // ~1,300 against ~282 and ~111).
    const alphabet200 = Array.from({ length: 200 }, (_, i) => String.fromCharCode(0x100 + i)).join(
      "",
    );
    for (const alphabet of [alphabet200, BASE62]) {
      const sample = moduloBiasedString(alphabet, 200_000);
      const statistic = chiSquareUniform(countChars(sample, alphabet));
      expect(statistic).toBeGreaterThan(chiSquareCritical(alphabet.length - 1, P_FALSE_ALARM));
    }
  });
});

describe("base62Fixed", () => {
  const decode = (text: string): number =>
    [...text].reduce((n, c) => n * 62 + BASE62.indexOf(c), 0);

  it("encodes known values, left-padded", () => {
    expect(base62Fixed(0, 6)).toBe("000000");
    expect(base62Fixed(61, 2)).toBe("0z");
    expect(base62Fixed(62, 2)).toBe("10");
    expect(base62Fixed(2 ** 32 - 1, 6)).toBe("4gfFC3");
  });

  it("round-trips every 32-bit value in 6 characters (62^6 > 2^32, so it is injective)", () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 32 - 1 }), (value) => {
        const text = base62Fixed(value, 6);
        expect(text).toMatch(/^[0-9A-Za-z]{6}$/);
        expect(decode(text)).toBe(value);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe("randomAlphabet", () => {
  it("defaults to the 94 printable characters, four required types", () => {
    const { alphabet, required } = randomAlphabet({});
    expect([...alphabet].sort()).toEqual([...NO_SPACE].sort());
    expect(required).toHaveLength(4);
  });

  it("drops a type whose characters are all excluded, and requires nothing when told", () => {
    const { alphabet, required } = randomAlphabet({ excludeCharacters: "0123456789" });
    expect(alphabet).not.toMatch(/[0-9]/);
    expect(required).toHaveLength(3);
    expect(randomAlphabet({ requireEachIncludedType: false }).required).toEqual([]);
    expect(randomAlphabet({ includeSpace: true }).alphabet).toContain(" ");
    expect(randomAlphabet({ includeSpace: true, excludeCharacters: " " }).alphabet).not.toContain(
      " ",
    );
  });
});

describe("generateRandomSecret", () => {
  it("the character sets are AWS's: 26 + 26 + 10 + 32 = all 94 printable non-space ASCII", () => {
    expect(CHARACTER_SETS.lowercase).toHaveLength(26);
    expect(CHARACTER_SETS.uppercase).toHaveLength(26);
    expect(CHARACTER_SETS.numbers).toHaveLength(10);
    expect(CHARACTER_SETS.punctuation).toHaveLength(32);
    const union = Object.values(CHARACTER_SETS).join("");
    expect([...union].sort()).toEqual([...NO_SPACE].sort());
  });

  it("defaults: 32 characters, upper, lower, digits and punctuation, each present", () => {
    expect(DEFAULT_RANDOM_LENGTH).toBe(32);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const secret = generateRandomSecret();
      expect(secret).toHaveLength(32);
      const chars = [...secret];
      for (const c of chars) {
        expect(NO_SPACE).toContain(c);
        seen.add(c);
      }
      expect(chars.some(isLower)).toBe(true);
      expect(chars.some(isUpper)).toBe(true);
      expect(chars.some(isDigit)).toBe(true);
      expect(chars.some(isPunct)).toBe(true);
    }
    // 16,000 characters, about 170 of each: every one of the 94 shows up.
    expect(seen.size).toBe(94);
    expect(generateRandomSecret({})).toHaveLength(32);
  });

  it("two secrets differ", () => {
    expect(generateRandomSecret()).not.toBe(generateRandomSecret());
  });

  const excludedArb = fc.oneof(
    fc.subarray([...PRINTABLE]).map((cs) => cs.join("")),
    fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 120 }),
    // Any text the options accept: NUL is refused in every text field (storableText).
    fc.string({ unit: "binary", maxLength: 8 }).filter((s) => !s.includes("\u0000")),
  );
  const optionsArb: fc.Arbitrary<RandomSecretOptions> = fc.record(
    {
      length: fc.oneof(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 300 }),
        fc.constant(4096),
      ),
      excludeCharacters: excludedArb,
      excludeNumbers: fc.boolean(),
      excludePunctuation: fc.boolean(),
      excludeUppercase: fc.boolean(),
      excludeLowercase: fc.boolean(),
      includeSpace: fc.boolean(),
      requireEachIncludedType: fc.boolean(),
    },
    { requiredKeys: [] },
  );

  it("property: every output obeys every option", () => {
    fc.assert(
      fc.property(optionsArb, (options) => {
        const length = options.length ?? 32;
        const excluded = new Set(options.excludeCharacters ?? "");
        const types = [
          { set: CHARACTER_SETS.lowercase, off: options.excludeLowercase === true },
          { set: CHARACTER_SETS.uppercase, off: options.excludeUppercase === true },
          { set: CHARACTER_SETS.numbers, off: options.excludeNumbers === true },
          { set: CHARACTER_SETS.punctuation, off: options.excludePunctuation === true },
        ].map(({ set, off }) => (off ? [] : [...set].filter((c) => !excluded.has(c))));
        const included = types.filter((chars) => chars.length > 0);
        const spaceAllowed = options.includeSpace === true && !excluded.has(" ");
        const alphabetSize = included.reduce((n, t) => n + t.length, 0) + (spaceAllowed ? 1 : 0);
        const required = options.requireEachIncludedType === false ? [] : included;

        const onlySpace = alphabetSize === (spaceAllowed ? 1 : 0);
        if (alphabetSize === 0 || onlySpace || required.length > length) {
          expectInvalidRequest(() => generateRandomSecret(options));
          return;
        }

        // Valid options never fail: narrow ones go to the exact sampler.
        const secret = generateRandomSecret(options);
        expect(secret).toHaveLength(length);
        const forbidden = [...secret].filter(
          (c) =>
            !PRINTABLE.includes(c) ||
            excluded.has(c) ||
            (isLower(c) && options.excludeLowercase === true) ||
            (isUpper(c) && options.excludeUppercase === true) ||
            (isDigit(c) && options.excludeNumbers === true) ||
            (isPunct(c) && options.excludePunctuation === true) ||
            (c === " " && options.includeSpace !== true),
        );
        expect(forbidden).toEqual([]);
        const missing = required.filter((type) => ![...secret].some((c) => type.includes(c)));
        expect(missing).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("specific option combinations", () => {
    expect(
      generateRandomSecret({
        length: 64,
        excludeNumbers: true,
        excludePunctuation: true,
        excludeUppercase: true,
      }),
    ).toMatch(/^[a-z]{64}$/);
    expect(generateRandomSecret({ length: 64, excludeCharacters: "abc012!\"'\\" })).toMatch(
      /^[^abc012!"'\\]{64}$/,
    );
    // Only the space is left: a secret of spaces is no secret, so it is refused.
    expectInvalidRequest(() =>
      generateRandomSecret({
        length: 5,
        includeSpace: true,
        excludeNumbers: true,
        excludePunctuation: true,
        excludeUppercase: true,
        excludeLowercase: true,
      }),
    );
    // A length smaller than the number of types is fine when nothing is required.
    expect(generateRandomSecret({ length: 1, requireEachIncludedType: false })).toHaveLength(1);
    expect(generateRandomSecret({ length: 4 })).toHaveLength(4);
    expect(generateRandomSecret({ length: 4096 })).toHaveLength(4096);
  });

  it("includeSpace allows a space but does not require one", () => {
    // 4096 characters out of 95: P(no space) = (94/95)^4096 ≈ 1e-19.
    expect(generateRandomSecret({ length: 4096, includeSpace: true })).toContain(" ");
    expect(generateRandomSecret({ length: 4096 })).not.toContain(" ");
    // 50 secrets of 8 characters: P(each holds a space) < 0.08^50.
    const withoutSpace = Array.from({ length: 50 }, () =>
      generateRandomSecret({ length: 8, includeSpace: true }),
    ).filter((s) => !s.includes(" "));
    expect(withoutSpace.length).toBeGreaterThan(0);
  });

  it.each<[string, unknown]>([
    ["an unknown field", { length: 16, lenght: 16 }],
    ["a misspelt AWS field", { PasswordLength: 16 }],
    ["length 0", { length: 0 }],
    ["a negative length", { length: -4 }],
    ["a fractional length", { length: 12.5 }],
    ["a length over 4096", { length: 4097 }],
    ["a string length", { length: "32" }],
    ["a non-boolean flag", { excludeNumbers: "yes" }],
    ["not an object", "length=32"],
    [
      "every type excluded",
      {
        excludeNumbers: true,
        excludePunctuation: true,
        excludeUppercase: true,
        excludeLowercase: true,
      },
    ],
    ["every character excluded", { excludeCharacters: NO_SPACE }],
    [
      "every character excluded, space included but excluded too",
      { excludeCharacters: PRINTABLE, includeSpace: true },
    ],
    ["length 3 with four required types", { length: 3 }],
    [
      "length 1 with two required types",
      { length: 1, excludeNumbers: true, excludePunctuation: true },
    ],
  ])("refuses %s with INVALID_REQUEST", (_label, options) => {
    expectInvalidRequest(() => generateRandomSecret(options as RandomSecretOptions));
  });

  it("is uniform over the 94 characters when no type is required (chi-square, df = 93)", () => {
    let sample = "";
    for (let i = 0; i < 100; i++) {
      sample += generateRandomSecret({ length: 4096, requireEachIncludedType: false });
    }
    expect(sample).toHaveLength(409_600);
    const statistic = chiSquareUniform(countChars(sample, NO_SPACE));
    const threshold = chiSquareCritical(93, P_FALSE_ALARM);
    expect(threshold).toBeCloseTo(152.45, 1);
    expect(statistic).toBeLessThan(threshold);
  });

  it("narrow options never fail and stay uniform over the qualifying secrets (exact sampler)", () => {
    // Alphabet a, B, 1, ! and an optional space; length 4 with one of each of the four types:
    // the 24 orderings of "aB1!" qualify out of 625 draws (p ≈ 0.038), so the exact sampler
    // runs. Each ordering must come out equally often.
    const keep = new Set("aB1!");
    const options: RandomSecretOptions = {
      length: 4,
      includeSpace: true,
      excludeCharacters: [...PRINTABLE].filter((c) => c !== " " && !keep.has(c)).join(""),
    };
    expect(acceptanceProbability(5, [1, 1, 1, 1], 4)).toBeCloseTo(24 / 625, 10);
    const counts = new Map<string, number>();
    for (let i = 0; i < 12_000; i++) {
      const secret = generateRandomSecret(options);
      counts.set(secret, (counts.get(secret) ?? 0) + 1);
    }
    expect([...counts.keys()].every((s) => [...s].sort().join("") === "!1Ba")).toBe(true);
    expect(counts.size).toBe(24);
    expect(chiSquareUniform([...counts.values()])).toBeLessThan(
      chiSquareCritical(23, P_FALSE_ALARM),
    );
  });

  it("the exact sampler, with an optional set, is uniform over the qualifying secrets", () => {
    // Required "a" and "B", optional space, length 3: 3^3 − 2·2^3 + 1 = 12 strings qualify.
    const counts = new Map<string, number>();
    for (let i = 0; i < 12_000; i++) {
      const secret = drawExactly(["a", "B"], " ", 3);
      counts.set(secret, (counts.get(secret) ?? 0) + 1);
    }
    expect(counts.size).toBe(12);
    for (const secret of counts.keys()) expect(secret).toMatch(/^(?=.*a)(?=.*B)[aB ]{3}$/);
    expect(chiSquareUniform([...counts.values()])).toBeLessThan(
      chiSquareCritical(11, P_FALSE_ALARM),
    );
    // Larger sets: "ab" and "XYZ" required, length 2: 2·3·2 = 12 strings, equally likely.
    const pairs = new Map<string, number>();
    for (let i = 0; i < 12_000; i++) {
      const secret = drawExactly(["ab", "XYZ"], "", 2);
      pairs.set(secret, (pairs.get(secret) ?? 0) + 1);
    }
    expect(pairs.size).toBe(12);
    expect(chiSquareUniform([...pairs.values()])).toBeLessThan(
      chiSquareCritical(11, P_FALSE_ALARM),
    );
  });

  it("a type-first sampler (pick a type, then a character) would be flagged", () => {
    // The mistake uniform sampling avoids: digits would be 2.5% each instead of 1.06%.
    const sets = Object.values(CHARACTER_SETS);
    const types = randomBytes(409_600);
    const picks = randomBytes(409_600);
    let sample = "";
    for (let i = 0; i < types.length; i++) {
      const set = sets[(types[i] ?? 0) % 4] ?? "";
      sample += set[(picks[i] ?? 0) % set.length] ?? "";
    }
    const statistic = chiSquareUniform(countChars(sample, NO_SPACE));
    expect(statistic).toBeGreaterThan(chiSquareCritical(93, P_FALSE_ALARM));
  });
});
