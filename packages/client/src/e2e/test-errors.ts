import type { CofferError } from "@coffer/core";
import { refusal } from "@coffer/test-kit";
import { toCofferError } from "../client.js";

/** The SPEC error a failed call gave (the client's wire errors mapped by toCofferError). */
export function failure(promise: Promise<unknown>): Promise<CofferError> {
  return refusal(promise, toCofferError);
}
