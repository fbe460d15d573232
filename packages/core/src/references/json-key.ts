/**
 * Picks a string out of a flat JSON object value (`OWNER/NAME/KEY`, Kong's env/file keys).
 * Error messages name the reference and the key, never the value: JSON.parse's own message
 * quotes the input, so it is never passed on.
 */
import { unprocessable } from "../errors.js";

export function pickJsonKey(value: string, key: string, label: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw unprocessable(`${label} is not JSON, so it has no key "${key}"`, { reason: "not-json" });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw unprocessable(`${label} is not a JSON object, so it has no key "${key}"`, {
      reason: "not-object",
    });
  }
  if (!Object.hasOwn(parsed, key)) {
    throw unprocessable(`${label} has no key "${key}"`, { reason: "missing-key" });
  }
  const picked = (parsed as Record<string, unknown>)[key];
  if (typeof picked !== "string") {
    throw unprocessable(`key "${key}" of ${label} is not a string`, { reason: "not-string" });
  }
  return picked;
}
