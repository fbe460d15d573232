/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802, RFC 7677), made here
 * so that `ALTER ROLE … PASSWORD` carries the verifier and never the cleartext: a server log
 * (log_statement = all) or pg_stat_statements then holds no password. PostgreSQL stores a
 * verifier it is given as is, whatever its password_encryption.
 *
 * PostgreSQL runs the password through SASLprep (RFC 4013) before hashing; SASLprep leaves an
 * ASCII string as it is, and this module does not implement the rest, so it takes printable
 * ASCII passwords only (what Coffer's generator makes) and refuses any other.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { invalidRequest } from "@coffer/core";

/** PostgreSQL's defaults: scram_iterations 4096, a 16-byte salt. */
export const SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;
const MAX_PASSWORD_LENGTH = 1024;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** Refuses, without echoing it, a password this module cannot hash as PostgreSQL would. */
export function checkScramPassword(password: string): void {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH)
    throw invalidRequest(
      `a PostgreSQL password must be 1 to ${MAX_PASSWORD_LENGTH} characters long`,
    );
  if (!PRINTABLE_ASCII.test(password))
    throw invalidRequest(
      "a PostgreSQL password must be printable ASCII (SASLprep of other characters is not implemented)",
    );
}

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64), as pg_authid holds it.
 * A fresh random salt unless one is given (tests compare with PostgreSQL's own hashing).
 */
export function scramVerifier(
  password: string,
  salt: Buffer = randomBytes(SALT_BYTES),
  iterations = SCRAM_ITERATIONS,
): string {
  checkScramPassword(password);
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > 2 ** 31 - 1)
    throw invalidRequest("the SCRAM iteration count must be an integer from 1 to 2^31-1");
  if (salt.length === 0) throw invalidRequest("the SCRAM salt must not be empty");
  const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  const b64 = (bytes: Buffer): string => bytes.toString("base64");
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
