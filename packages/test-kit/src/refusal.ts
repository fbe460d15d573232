/** Expect-a-CofferError: the error a call is refused with, or the test fails. */
import { CofferError } from "@coffer/core";

const SUCCEEDED = Symbol("succeeded");

/**
 * The CofferError `promise` is rejected with: the error itself, its `cause` when that is one
 * (a tRPC error wrapping it), or what `convert` makes of the error (a client's mapping of its
 * wire errors). Success, or any other error, fails the test.
 */
export async function refusal(
  promise: Promise<unknown>,
  convert?: (error: unknown) => CofferError,
): Promise<CofferError> {
  const error: unknown = await promise.then(
    () => SUCCEEDED,
    (e: unknown) => e,
  );
  if (error === SUCCEEDED) throw new Error("expected a refusal, but the call succeeded");
  return asCofferError(error, convert);
}

/** The same for a synchronous call: the CofferError `run` throws. */
export function refusalOf(
  run: () => unknown,
  convert?: (error: unknown) => CofferError,
): CofferError {
  try {
    run();
  } catch (error) {
    return asCofferError(error, convert);
  }
  throw new Error("expected a refusal, but the call returned");
}

function asCofferError(error: unknown, convert?: (error: unknown) => CofferError): CofferError {
  if (error instanceof CofferError) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof CofferError) return cause;
  if (convert !== undefined) return convert(error);
  throw error;
}
