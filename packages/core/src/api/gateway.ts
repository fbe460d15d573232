/**
 * JSON Schemas of the gateway middleware's options (SPEC §9), validated when the middleware is
 * built. Options that hold objects with behaviour (a resolver, backends, an environment) are
 * checked as objects only. The standalone app's config file has
 * its own schema (gateway-config.ts).
 */
import { MAX_CACHE_SECONDS, MAX_REFERENCE_LENGTH } from "../model/limits.js";
import { compileSchema } from "../validation.js";
import { objectSchema } from "./common.js";

/** Longest string that may hold references in a header, query parameter or body field. */
export const MAX_GATEWAY_TEMPLATE_LENGTH = 8192;
/** No control characters but tab: a template must not split a header or a query. */
export const NO_CONTROL_SOURCE = "^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$";
/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME_SOURCE = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

const seconds = { type: "number", minimum: 0, maximum: MAX_CACHE_SECONDS } as const;
/** A string that may hold references, for a header, a query parameter or a body field. */
export const gatewayTemplateSchema = {
  type: "string",
  maxLength: MAX_GATEWAY_TEMPLATE_LENGTH,
  pattern: NO_CONTROL_SOURCE,
} as const;
const template = gatewayTemplateSchema;
const anObject = { type: "object" } as const;

/** Cache settings, in seconds; `max` in entries. */
const cacheSchema = objectSchema(
  {
    ttl: seconds,
    negTtl: seconds,
    resurrectTtl: seconds,
    max: { type: "integer", minimum: 1, maximum: 10_000_000 },
  },
  [],
);

/** Header name (an HTTP token, RFC 9110) → a string that may hold references. */
const headersSchema = {
  type: "object",
  maxProperties: 100,
  propertyNames: { type: "string", pattern: HEADER_NAME_SOURCE, maxLength: 256 },
  additionalProperties: template,
} as const;

/** Query parameter name → a string that may hold references. */
const querySchema = {
  type: "object",
  maxProperties: 100,
  propertyNames: { type: "string", minLength: 1, maxLength: 256 },
  additionalProperties: template,
} as const;

/** Dotted path into a JSON body (`auth.token`) → a string that may hold references. */
const bodySchema = {
  type: "object",
  maxProperties: 100,
  propertyNames: { type: "string", pattern: "^[^.]+(\\.[^.]+)*$", maxLength: 256 },
  additionalProperties: template,
} as const;

/** Patterns of references that may be resolved when they arrive in the request. */
const incomingSchema = objectSchema(
  {
    allow: {
      type: "array",
      maxItems: 1000,
      items: { type: "string", minLength: 1, maxLength: MAX_REFERENCE_LENGTH },
    },
  },
  ["allow"],
);

export const gatewayOptionsSchema = objectSchema(
  {
    resolver: anObject,
    coffer: objectSchema(
      {
        url: { type: "string", minLength: 1, maxLength: 2048, pattern: "^https?://" },
        token: { type: "string", minLength: 1, maxLength: 1024 },
        accessKey: anObject,
        timeoutMs: { type: "integer", minimum: 1, maximum: 600_000 },
        feed: { type: "boolean" },
      },
      ["url"],
    ),
    env: {
      // `false`, or an object; if/then/else keeps the error to the branch that applies.
      if: { type: "boolean" },
      then: { const: false },
      else: objectSchema({ prefix: { type: "string", maxLength: 256 }, variables: anObject }, []),
    },
    file: objectSchema({ root: { type: "string", minLength: 1, maxLength: 4096 } }, ["root"]),
    backends: { type: "array", maxItems: 64, items: anObject },
    cache: cacheSchema,
    headers: headersSchema,
    query: querySchema,
    body: bodySchema,
    incoming: incomingSchema,
    onWarning: {}, // a function: checked by the gateway package
  },
  [],
);

/** The options' shape as far as JSON Schema can tell (the gateway package has the full types). */
export interface GatewayOptionsDocument {
  resolver?: object;
  coffer?: { url: string; token?: string; accessKey?: object; timeoutMs?: number; feed?: boolean };
  env?: false | { prefix?: string; variables?: object };
  file?: { root: string };
  backends?: object[];
  cache?: { ttl?: number; negTtl?: number; resurrectTtl?: number; max?: number };
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: Record<string, string>;
  incoming?: { allow: string[] };
  onWarning?: unknown;
}

export const gatewayOptionsValidator = compileSchema<GatewayOptionsDocument>(gatewayOptionsSchema);
