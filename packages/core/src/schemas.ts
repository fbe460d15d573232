/**
 * JSON Schemas (draft-07, for ajv) of the model's building blocks. Objects reject unknown
 * fields and every string and array is bounded. Request schemas of the apps compose these.
 */
import { ERROR_CODES } from "./errors.js";
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_REFERENCE_LENGTH,
  MAX_SECRET_VALUE_BYTES,
  MAX_TOKEN_SCOPES,
  PRINCIPAL_NAME_SOURCE,
  SECRET_NAME_SOURCE,
} from "./model/limits.js";
import { LEVELS } from "./model/types.js";

const P = PRINCIPAL_NAME_SOURCE;
const S = SECRET_NAME_SOURCE;

export const principalNameSchema = { type: "string", pattern: `^${P}$`, maxLength: 39 } as const;
export const orgNameSchema = principalNameSchema;
export const secretNameSchema = { type: "string", pattern: `^${S}$`, maxLength: 128 } as const;

/**
 * UTF-8 text of at most 64 KiB; `utf8MaxBytes` is a keyword of ours (see validation.ts). A NUL
 * is allowed (`storableText: false`): values are stored encrypted, as bytes, never as text.
 */
export const secretValueSchema = {
  type: "string",
  utf8MaxBytes: MAX_SECRET_VALUE_BYTES,
  storableText: false,
} as const;

export const descriptionSchema = { type: "string", maxLength: MAX_DESCRIPTION_LENGTH } as const;

export const levelSchema = { type: "string", enum: [...LEVELS] } as const;

export const secretUriSchema = {
  type: "string",
  pattern: `^secret://${P}/${P}/${S}(#[1-9][0-9]{0,8})?$`,
  maxLength: 256,
} as const;

/** A grant's resource: one secret or every secret of an owner. */
export const grantResourceSchema = {
  type: "string",
  pattern: `^secret://${P}/${P}/(${S}|\\*)$`,
  maxLength: 256,
} as const;

/** A token scope's resource: a grant resource, or `*` for all its owner holds. */
export const scopeResourceSchema = {
  type: "string",
  pattern: `^(\\*|secret://${P}/${P}/(${S}|\\*))$`,
  maxLength: 256,
} as const;

export const grantSchema = {
  type: "object",
  additionalProperties: false,
  required: ["subject", "resource", "level"],
  properties: {
    subject: principalNameSchema,
    resource: grantResourceSchema,
    level: levelSchema,
  },
} as const;

export const tokenScopeSchema = {
  type: "object",
  additionalProperties: false,
  required: ["resource", "level"],
  properties: { resource: scopeResourceSchema, level: levelSchema },
} as const;

export const tokenScopesSchema = {
  type: "array",
  minItems: 1,
  maxItems: MAX_TOKEN_SCOPES,
  items: tokenScopeSchema,
} as const;

export const randomSecretOptionsSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    length: { type: "integer", minimum: 1, maximum: 4096 },
    excludeCharacters: { type: "string", maxLength: 256 },
    excludeNumbers: { type: "boolean" },
    excludePunctuation: { type: "boolean" },
    excludeUppercase: { type: "boolean" },
    excludeLowercase: { type: "boolean" },
    includeSpace: { type: "boolean" },
    requireEachIncludedType: { type: "boolean" },
  },
} as const;

/** A reference as a user writes it (vault reference, URI or short form); parsed afterwards. */
export const referenceTextSchema = {
  type: "string",
  minLength: 1,
  maxLength: MAX_REFERENCE_LENGTH,
} as const;

/** SPEC §7's error format, as it travels over HTTP and in tRPC's error `data`. */
export const errorBodySchema = {
  type: "object",
  additionalProperties: false,
  required: ["error"],
  properties: {
    error: {
      type: "object",
      additionalProperties: false,
      required: ["errorCode", "message", "details"],
      properties: {
        errorCode: { type: "string", enum: [...ERROR_CODES] },
        // The server's words may quote what was sent; this checks answers, not requests.
        message: { type: "string", maxLength: 2048, storableText: false },
        details: { type: "object" },
      },
    },
  },
} as const;
