/** Small helpers for backends: outcomes from values and thrown errors. */
import { CofferError, type ResolveOutcome } from "@coffer/core";

export const success = (value: string): ResolveOutcome => ({ ok: true, value });

export const failure = (error: CofferError): ResolveOutcome => ({ ok: false, error });

/**
 * An outcome from anything a backend's code threw. Only a CofferError's message is passed on:
 * anything else could quote a value (JSON.parse does), so it becomes a generic failure.
 */
export function outcomeOf(thrown: unknown, what: string): ResolveOutcome {
  if (thrown instanceof CofferError) return failure(thrown);
  return failure(new CofferError("INTERNAL_SERVER_ERROR", `${what} failed`));
}
