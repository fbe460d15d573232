/**
 * Failures the action reports. Every message names inputs, lines, references, files or the
 * server's own words (which never hold a value, SPEC §7); none is built from a value.
 */
import { toCofferError } from "@coffer/client";

/** A failure whose message is written for the workflow's author. */
export class ActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ActionError";
  }
}

/** Runs one call to the server; a failure of the whole call says what was being done. */
export async function calling<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const cause = toCofferError(error);
    throw new ActionError(`${what}: ${cause.message} (${cause.errorCode})`);
  }
}

/** The message `setFailed` shows for anything thrown; a non-Error is not stringified. */
export function failureMessage(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  return "the action stopped on an unexpected failure (a non-Error was thrown; not shown)";
}

/** The `code` of a Node.js system error (`ENOENT`, `EEXIST`…), if it has one. */
export const errnoCode = (error: unknown): string | undefined =>
  (error as NodeJS.ErrnoException | null)?.code;
