/**
 * Random secrets with AWS Secrets Manager GetRandomPassword's options and defaults: 32
 * characters from upper, lower, digits and punctuation, at least one of each included type.
 * Characters are uniform over the allowed alphabet (random-string.ts). "At least one of each"
 * is met by drawing whole candidates again until one qualifies, which keeps every qualifying
 * password equally likely (placing one of each type first would favour the smaller sets).
 * When options are so narrow that redrawing would rarely succeed, an exact sampler draws from
 * the same distribution position by position, so valid options never fail.
 * A space, when included, is allowed but not required, as in AWS.
 */
import { invalidRequest } from "../errors.js";
import type { RandomSecretOptions } from "../model/types.js";
import { validateOrThrow, validators } from "../validation.js";
import { randomBytes } from "node:crypto";
import { randomString } from "./random-string.js";

export const CHARACTER_SETS = {
  lowercase: "abcdefghijklmnopqrstuvwxyz",
  uppercase: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  numbers: "0123456789",
  punctuation: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
} as const;

export const DEFAULT_RANDOM_LENGTH = 32;

export interface RandomAlphabet {
  alphabet: string;
  /** Sets a qualifying secret must draw from at least once. */
  required: string[];
  /** Allowed characters in no required set (the space). */
  optional: string;
}

export function randomAlphabet(options: RandomSecretOptions): RandomAlphabet {
  const excluded = new Set(options.excludeCharacters ?? "");
  const keep = (set: string): string => [...set].filter((c) => !excluded.has(c)).join("");
  const sets = [
    options.excludeLowercase ? "" : keep(CHARACTER_SETS.lowercase),
    options.excludeUppercase ? "" : keep(CHARACTER_SETS.uppercase),
    options.excludeNumbers ? "" : keep(CHARACTER_SETS.numbers),
    options.excludePunctuation ? "" : keep(CHARACTER_SETS.punctuation),
  ].filter((set) => set.length > 0);
  const space = options.includeSpace && !excluded.has(" ") ? " " : "";
  const requireEach = options.requireEachIncludedType !== false;
  return {
    alphabet: sets.join("") + space,
    required: requireEach ? sets : [],
    optional: requireEach ? space : sets.join("") + space,
  };
}

/**
 * The chance that a uniform draw holds one of each required set (inclusion–exclusion):
 * Σ over subsets S of the required sets of (−1)^|S| · ((A − |∪S|) / A)^length.
 */
export function acceptanceProbability(
  alphabetSize: number,
  requiredSizes: readonly number[],
  length: number,
): number {
  let p = 0;
  for (let mask = 0; mask < 1 << requiredSizes.length; mask++) {
    let removed = 0;
    let bits = 0;
    requiredSizes.forEach((size, i) => {
      if (mask & (1 << i)) {
        removed += size;
        bits++;
      }
    });
    p += (bits % 2 === 0 ? 1 : -1) * ((alphabetSize - removed) / alphabetSize) ** length;
  }
  return p;
}

function randomBigIntBelow(bound: bigint): bigint {
  const bits = bound.toString(2).length;
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    const r = BigInt(`0x${randomBytes(Math.ceil(bits / 8)).toString("hex")}`) & mask;
    if (r < bound) return r;
  }
}

/**
 * Draws uniformly among qualifying secrets position by position: each set is chosen with
 * weight |set| × (number of ways to finish the secret after it), counted exactly with
 * inclusion–exclusion in BigInt, then a character uniformly inside the set. Used when
 * redrawing whole candidates would rarely succeed (narrow options, short lengths).
 */
export function drawExactly(required: readonly string[], optional: string, length: number): string {
  const sets = optional === "" ? [...required] : [...required, optional];
  const sizes = sets.map((set) => BigInt(set.length));
  const total = sizes.reduce((a, b) => a + b, 0n);
  const memo = new Map<string, bigint>();
  /** Strings of length n holding one of each required set still in `missing`. */
  const completions = (missing: number, n: number): bigint => {
    const key = `${missing}:${n}`;
    let count = memo.get(key);
    if (count === undefined) {
      count = 0n;
      for (let subset = missing; ; subset = (subset - 1) & missing) {
        let removed = 0n;
        let bits = 0;
        for (let i = 0; i < required.length; i++) {
          if (subset & (1 << i)) {
            removed += sizes[i]!;
            bits++;
          }
        }
        count += (bits % 2 === 0 ? 1n : -1n) * (total - removed) ** BigInt(n);
        if (subset === 0) break;
      }
      memo.set(key, count);
    }
    return count;
  };
  let missing = (1 << required.length) - 1;
  let out = "";
  for (let n = length; n > 0; n--) {
    const weights = sets.map(
      (_, i) => sizes[i]! * completions(i < required.length ? missing & ~(1 << i) : missing, n - 1),
    );
    let r = randomBigIntBelow(weights.reduce((a, b) => a + b, 0n));
    let chosen = 0;
    while (r >= weights[chosen]!) r -= weights[chosen++]!;
    out += randomString(sets[chosen]!, 1);
    if (chosen < required.length) missing &= ~(1 << chosen);
  }
  return out;
}

/** Below this chance of a qualifying draw, drawExactly is used instead of redrawing. */
const MIN_ACCEPTANCE = 0.05;
const MAX_DRAWS = 1000;

export function generateRandomSecret(input: RandomSecretOptions = {}): string {
  const options = validateOrThrow(validators.randomSecretOptions, input, "random secret options");
  const length = options.length ?? DEFAULT_RANDOM_LENGTH;
  const { alphabet, required, optional } = randomAlphabet(options);
  if (alphabet.trim().length === 0) {
    throw invalidRequest("random secret options exclude every character but, at most, the space");
  }
  if (required.length > length) {
    throw invalidRequest(
      `a random secret of length ${length} cannot hold one of each of the ${required.length} included character types`,
    );
  }
  const sizes = required.map((set) => set.length);
  if (acceptanceProbability(alphabet.length, sizes, length) < MIN_ACCEPTANCE) {
    return drawExactly(required, optional, length);
  }
  // Each draw qualifies with probability ≥ 0.05: 1,000 failures in a row has odds below 1e-22.
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const candidate = randomString(alphabet, length);
    if (required.every((set) => [...candidate].some((c) => set.includes(c)))) return candidate;
  }
  return drawExactly(required, optional, length);
}
