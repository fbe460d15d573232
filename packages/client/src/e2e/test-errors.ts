import type { CofferError } from "@coffer/core";
import { toCofferError } from "../client.js";

/** The SPEC error a failed call gave. */
export async function failure(promise: Promise<unknown>): Promise<CofferError> {
  try {
    await promise;
  } catch (error) {
    return toCofferError(error);
  }
  throw new Error("expected the call to fail");
}
