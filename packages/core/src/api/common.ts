/** Pieces shared by the API's request schemas. */
import { MAX_VERSION_NUMBER } from "../model/limits.js";

/** A secret as people name it: `NAME`, `OWNER/NAME` or `secret://ORG/OWNER/NAME` (parsed later). */
export const secretRefSchema = { type: "string", minLength: 1, maxLength: 300 } as const;

export const versionSchema = { type: "integer", minimum: 1, maximum: MAX_VERSION_NUMBER } as const;

/** A cursor is base64url, as the server gave it; what it holds is checked when decoded. */
export const pageSchema = {
  limit: { type: "integer", minimum: 1, maximum: 500 },
  cursor: { type: "string", minLength: 1, maxLength: 512, pattern: "^[A-Za-z0-9_-]+$" },
} as const;

/** An RFC 3339 time, years 0001–9999 (the `date-time` format of validation.ts). */
export const dateTimeSchema = { type: "string", maxLength: 40, format: "date-time" } as const;

export const emptyInputSchema = {
  type: "object",
  additionalProperties: false,
  properties: {},
} as const;

/** An object schema with the given properties, unknown fields rejected. */
export function objectSchema<
  P extends Record<string, object>,
  R extends readonly (keyof P & string)[],
>(properties: P, required: R) {
  return {
    type: "object",
    additionalProperties: false,
    required: [...required],
    properties,
  } as const;
}
