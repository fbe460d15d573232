/** Test-only helpers for asserting on CofferErrors (excluded from the build as `test-*.ts`). */
import { expect } from "vitest";
import { CofferError } from "../errors.js";

/** What `fn` threw; fails the test when it returns normally. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
}

/** Asserts a CofferError with this code (and reason, when given) and returns it. */
export function expectCofferError(
  thrown: unknown,
  errorCode: string,
  reason?: string,
): CofferError {
  expect(thrown).toBeInstanceOf(CofferError);
  const error = thrown as CofferError;
  expect(error.errorCode).toBe(errorCode);
  if (reason !== undefined) expect(error.details["reason"]).toBe(reason);
  return error;
}

/** Asserts that nothing the error shows (message, body, stack) carries `secret`. */
export function expectNotLeaking(error: CofferError, secret: string): void {
  expect(error.message).not.toContain(secret);
  expect(error.stack ?? "").not.toContain(secret);
  expect(JSON.stringify(error.toBody())).not.toContain(JSON.stringify(secret).slice(1, -1));
}

/**
 * The integrity error of a failed open: INTERNAL_SERVER_ERROR with reason "integrity", and a
 * message that does not carry `secret` (the plaintext that was sealed).
 */
export function expectIntegrityError(fn: () => unknown, secret?: string): CofferError {
  const error = expectCofferError(thrownBy(fn), "INTERNAL_SERVER_ERROR", "integrity");
  expect(error.details).toEqual({ reason: "integrity" });
  if (secret !== undefined && secret.length >= 4) expectNotLeaking(error, secret);
  return error;
}
