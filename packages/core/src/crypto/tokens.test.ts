import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mintAccessKey } from "./access-key.js";
import {
  hashPrefixed,
  isWellFormedPrefixed,
  mintPrefixed,
  prefixedHint,
} from "./prefixed-secret.js";
import { BASE62 } from "./random-string.js";
import { chiSquareCritical, chiSquareUniform, countChars } from "./test-chi-square.js";
import { expectCofferError, expectNotLeaking, thrownBy } from "./test-errors.js";
import {
  JOB_TOKEN_PREFIX,
  TOKEN_PREFIX,
  hashToken,
  isWellFormedJobToken,
  isWellFormedToken,
  jobTokenHint,
  jobTokenLookupHash,
  mintJobToken,
  mintToken,
  tokenHint,
  tokenLookupHash,
} from "./tokens.js";

const TOKEN_RE = /^cft_[0-9A-Za-z]{49}$/;
const BODY_LENGTH = 43;
/** A fixed sample of minted tokens for the properties to pick from (shrinkable indices). */
const SAMPLE = Array.from({ length: 64 }, () => mintToken().token);
const sampleArb = fc.nat({ max: SAMPLE.length - 1 }).map((i) => SAMPLE[i] ?? "");

describe("mintToken", () => {
  it("is cft_ followed by 49 base62 characters, with its hash and hint", () => {
    const minted = mintToken();
    expect(TOKEN_PREFIX).toBe("cft_");
    expect(minted.token).toMatch(TOKEN_RE);
    expect(minted.token).toHaveLength(53);
    expect(minted.hash).toBe(hashToken(minted.token));
    expect(minted.hint).toBe(tokenHint(minted.token));
    expect(isWellFormedToken(minted.token)).toBe(true);
  });

  it("two minted tokens differ, and every minted token is well formed", () => {
    const tokens = Array.from({ length: 2000 }, () => mintToken().token);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.filter((t) => !TOKEN_RE.test(t) || !isWellFormedToken(t))).toEqual([]);
  });

  it("carries at least 256 bits of randomness: 43 random base62 characters", () => {
    expect(BODY_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(256);
    const tokens = Array.from({ length: 3000 }, () => mintToken().token);
    const bodies = tokens.map((t) => t.slice(4, 4 + BODY_LENGTH));
    // Every one of the 43 body positions varies over (nearly) the whole alphabet: with 3,000
    // draws each of the 62 characters is missing from a position with probability < 1e-20.
    for (let position = 0; position < BODY_LENGTH; position++) {
      const seen = new Set(bodies.map((b) => b[position]));
      expect(seen.size, `position ${position}`).toBe(62);
    }
    // And the body characters are uniform (chi-square, df = 61, false alarm 1e-4).
    const statistic = chiSquareUniform(countChars(bodies.join(""), BASE62));
    expect(statistic).toBeLessThan(chiSquareCritical(61, 1e-4));
  });
});

describe("isWellFormedToken", () => {
  it.each([
    ["API tokens", mintToken, isWellFormedToken],
    ["job tokens", mintJobToken, isWellFormedJobToken],
  ])(
    "property: changing any one character after the prefix of %s breaks the checksum",
    (_kind, mint, isWellFormed) => {
      const tokens = Array.from({ length: 64 }, () => mint().token);
      fc.assert(
        fc.property(
          fc.nat({ max: tokens.length - 1 }).map((i) => tokens[i] ?? ""),
          fc.integer({ min: TOKEN_PREFIX.length, max: 52 }),
          fc.constantFrom(...BASE62),
          (token, position, replacement) => {
            fc.pre(token[position] !== replacement);
            const changed = token.slice(0, position) + replacement + token.slice(position + 1);
            expect(changed).toMatch(/^cf[tj]_[0-9A-Za-z]{49}$/);
            expect(isWellFormed(changed)).toBe(false);
          },
        ),
        { numRuns: 20_000 },
      );
    },
  );

  it("exhaustively: every single-character change of one token is refused", () => {
    const token = SAMPLE[0] ?? "";
    let tried = 0;
    for (let position = TOKEN_PREFIX.length; position < token.length; position++) {
      for (const c of BASE62) {
        if (token[position] === c) continue;
        const changed = token.slice(0, position) + c + token.slice(position + 1);
        expect(isWellFormedToken(changed)).toBe(false);
        tried++;
      }
    }
    expect(tried).toBe(49 * 61);
  });

  it("property: swapping two different adjacent characters is refused", () => {
    // Guaranteed inside the body (CRC-32 catches every burst of up to 32 bits) and inside the
    // checksum (compared as text). A swap across the body/checksum boundary (positions 46 and
    // 47) is caught only with probability about 1 - 2^-32, so it is left out.
    fc.assert(
      fc.property(sampleArb, fc.integer({ min: TOKEN_PREFIX.length, max: 51 }), (token, i) => {
        const [a, b] = [token[i] ?? "", token[i + 1] ?? ""];
        fc.pre(a !== b && i !== TOKEN_PREFIX.length + BODY_LENGTH - 1);
        const swapped = token.slice(0, i) + b + a + token.slice(i + 2);
        expect(isWellFormedToken(swapped)).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });

  it("property: truncated or extended tokens are refused", () => {
    fc.assert(
      fc.property(
        sampleArb,
        fc.nat({ max: 52 }),
        fc.string({ unit: fc.constantFrom(...BASE62), minLength: 1, maxLength: 8 }),
        (token, cut, extra) => {
          expect(isWellFormedToken(token.slice(0, cut))).toBe(false);
          expect(isWellFormedToken(token + extra)).toBe(false);
          expect(isWellFormedToken(extra + token)).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("refuses a wrong prefix, whitespace, other alphabets and other credentials", () => {
    const token = SAMPLE[1] ?? "";
    const body = token.slice(4);
    for (const prefix of ["cfs_", "cfk_", "CFT_", "cft-", "cf_", "cftt_", "ghp_", ""]) {
      expect(isWellFormedToken(prefix + body)).toBe(false);
    }
    expect(isWellFormedToken(` ${token}`)).toBe(false);
    expect(isWellFormedToken(`${token}\n`)).toBe(false);
    expect(isWellFormedToken(`Bearer ${token}`)).toBe(false);
    expect(isWellFormedToken(token.slice(0, 20) + "-" + token.slice(21))).toBe(false);
    expect(isWellFormedToken(token.slice(0, 20) + "é" + token.slice(21))).toBe(false);
    expect(isWellFormedToken("")).toBe(false);
    expect(isWellFormedToken(mintAccessKey().secret)).toBe(false);
  });
});

describe("hashToken", () => {
  it("is the SHA-256 of the token in hex, deterministic, and shows nothing of the token", () => {
    fc.assert(
      fc.property(sampleArb, (token) => {
        const hash = hashToken(token);
        expect(hash).toMatch(/^[0-9a-f]{64}$/);
        expect(hash).toBe(createHash("sha256").update(token, "utf8").digest("hex"));
        expect(hashToken(token)).toBe(hash);
        expect(hash).not.toContain(token);
        expect(hash).not.toContain(token.slice(4, 12));
      }),
    );
    expect(hashToken(SAMPLE[0] ?? "")).not.toBe(hashToken(SAMPLE[1] ?? ""));
  });
});

describe("tokenLookupHash", () => {
  it("returns the hash of a well-formed token", () => {
    for (const token of SAMPLE) expect(tokenLookupHash(token)).toBe(hashToken(token));
  });

  it("property: throws UNAUTHORIZED for anything malformed, without echoing it", () => {
    const malformed = fc.oneof(
      fc.string({ maxLength: 80 }),
      sampleArb.map((t) => t.slice(0, -1)),
      sampleArb.map((t) => `${t}x`),
      sampleArb.map((t) => `cfs_${t.slice(4)}`),
      sampleArb.map((t) => t.slice(0, 30) + (t[30] === "A" ? "B" : "A") + t.slice(31)),
    );
    fc.assert(
      fc.property(malformed, (text) => {
        fc.pre(!isWellFormedToken(text));
        const error = expectCofferError(
          thrownBy(() => tokenLookupHash(text)),
          "UNAUTHORIZED",
          "malformed-token",
        );
        // Long enough not to be a chance substring of the fixed message or the stack.
        if (text.length >= 24) expectNotLeaking(error, text);
      }),
      { numRuns: 500 },
    );
  });
});

describe("tokenHint", () => {
  it("is short, a prefix of the token, and shows at most 4 random characters", () => {
    for (const token of SAMPLE) {
      const hint = tokenHint(token);
      expect(token.startsWith(hint)).toBe(true);
      expect(hint).toHaveLength(8);
      expect(hint.startsWith("cft_")).toBe(true);
    }
  });
});

describe("prefixed secrets (shared by tokens and access-key secrets)", () => {
  it("works for any plain prefix, and a prefix is not interchangeable", () => {
    fc.assert(
      fc.property(fc.constantFrom("abc_", "cfs_", "x_", "long_prefix_"), (prefix) => {
        const text = mintPrefixed(prefix);
        expect(text.startsWith(prefix)).toBe(true);
        expect(text).toHaveLength(prefix.length + 49);
        expect(isWellFormedPrefixed(prefix, text)).toBe(true);
        expect(isWellFormedPrefixed("zzz_", "zzz_" + text.slice(prefix.length))).toBe(false);
        expect(prefixedHint(prefix, text)).toBe(text.slice(0, prefix.length + 4));
        expect(hashPrefixed(text)).toBe(createHash("sha256").update(text).digest("hex"));
      }),
    );
  });
});

describe("job tokens (cfj_, SPEC §11: same properties as §4 tokens)", () => {
  const JOB_TOKEN_RE = /^cfj_[0-9A-Za-z]{49}$/;
  const jobSample = Array.from({ length: 32 }, () => mintJobToken().token);

  it("is cfj_ followed by 49 base62 characters, with its hash and hint; two never equal", () => {
    const minted = mintJobToken();
    expect(JOB_TOKEN_PREFIX).toBe("cfj_");
    expect(minted.token).toMatch(JOB_TOKEN_RE);
    expect(minted.hash).toBe(createHash("sha256").update(minted.token, "utf8").digest("hex"));
    expect(minted.hint).toBe(minted.token.slice(0, 8));
    expect(jobTokenHint(minted.token)).toBe(minted.hint);
    expect(isWellFormedJobToken(minted.token)).toBe(true);
    expect(new Set(jobSample).size).toBe(jobSample.length);
  });

  it("a job token is never an API token and the other way round, even with its prefix swapped", () => {
    for (const job of jobSample) {
      expect(isWellFormedToken(job)).toBe(false);
      expect(isWellFormedJobToken(`cft_${job.slice(4)}`)).toBe(false);
      expectCofferError(
        thrownBy(() => tokenLookupHash(job)),
        "UNAUTHORIZED",
        "malformed-token",
      );
    }
    for (const api of SAMPLE) {
      expect(isWellFormedJobToken(api)).toBe(false);
      expect(isWellFormedJobToken(`cfj_${api.slice(4)}`)).toBe(false);
    }
  });

  it("lookup: the hash of a well-formed one; UNAUTHORIZED without echoing anything else", () => {
    for (const token of jobSample) expect(jobTokenLookupHash(token)).toBe(hashToken(token));
    for (const text of ["", "cfj_", jobSample[0]?.slice(0, -1) ?? "", `${jobSample[1]}x`]) {
      const error = expectCofferError(
        thrownBy(() => jobTokenLookupHash(text)),
        "UNAUTHORIZED",
        "malformed-job-token",
      );
      expect(error.message).toBe("the job token is malformed: wrong prefix, length or checksum");
      if (text.length >= 24) expectNotLeaking(error, text);
    }
  });
});
