/**
 * The SCRAM-SHA-256 verifier without a server: a verifier PostgreSQL 15 stored for a known
 * password and salt (postgres-target.test.ts compares with a live server's hashing too), and
 * the passwords refused without being echoed.
 */
import { refusalOf } from "@coffer/test-kit";
import { describe, expect, it } from "vitest";
import { scramVerifier } from "./scram.js";

/** pg_authid.rolpassword after `CREATE ROLE v PASSWORD 'fake-pencil'` (PostgreSQL 15). */
const STORED =
  "SCRAM-SHA-256$4096:fYdGaD/L9u35OG/6h9s6Zw==$tPByJSbtZZXOhAzQtrM3S6eEgg77/linMi5yBGZYloI=:knUu7SG4fOAfYNCH9mJxu0D/6Px+feS2xX9YVT7bMsw=";
const SALT = Buffer.from("fYdGaD/L9u35OG/6h9s6Zw==", "base64");

describe("scramVerifier", () => {
  it("makes the verifier PostgreSQL stores for the same password and salt", () => {
    expect(scramVerifier("fake-pencil", SALT, 4096)).toBe(STORED);
    expect(scramVerifier("fake-pencil", SALT, 4097)).not.toBe(STORED);
    expect(scramVerifier("fake-pencil!", SALT, 4096)).not.toBe(STORED);
  });

  it("salts each verifier afresh by default, with PostgreSQL's 4096 iterations and 16-byte salt", () => {
    const first = scramVerifier("fake-pencil");
    const second = scramVerifier("fake-pencil");
    expect(first).not.toBe(second);
    const match = /^SCRAM-SHA-256\$4096:([^$]+)\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/.exec(
      first,
    );
    expect(Buffer.from(match![1]!, "base64")).toHaveLength(16);
  });

  it("refuses what it cannot hash as PostgreSQL would, without echoing the password", () => {
    for (const password of ["", "fake-caf\u00e9-canary", "fake-tab\t-canary", "x".repeat(1025)]) {
      const error = refusalOf(() => scramVerifier(password));
      expect(error.errorCode).toBe("INVALID_REQUEST");
      if (password !== "") expect(error.message).not.toContain(password);
    }
    expect(refusalOf(() => scramVerifier("fake-pencil", SALT, 0)).errorCode).toBe(
      "INVALID_REQUEST",
    );
    expect(refusalOf(() => scramVerifier("fake-pencil", Buffer.alloc(0))).errorCode).toBe(
      "INVALID_REQUEST",
    );
  });
});
