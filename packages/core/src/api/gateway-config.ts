/**
 * The standalone gateway's configuration file (SPEC §9): a JSON document of routes → upstream,
 * with the headers and query parameters to set from templates holding vault references.
 *
 * Checked by its own ajv instance with `allErrors`: a person fixing a file wants every problem
 * at once, where an API request stops at the first. Unknown fields are rejected everywhere and
 * every string, map and list is bounded. Issues name the JSON pointer of the field and the rule
 * broken, never the rejected data (a header template may hold a literal credential).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { closestName } from "../did-you-mean.js";
import { MAX_CACHE_SECONDS, MAX_REFERENCE_LENGTH } from "../model/limits.js";
import type { ValidationIssue } from "../validation.js";
import { gatewayTemplateSchema, HEADER_NAME_SOURCE, NO_CONTROL_SOURCE } from "./gateway.js";

export interface GatewayListenConfig {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
}

export interface GatewayCofferConfig {
  /** The Coffer server; its token comes from COFFER_TOKEN, never from the file. */
  url: string;
  timeoutMs?: number;
  /** Follow the change feed to drop rotated secrets from the cache (default: the backend's). */
  feed?: boolean;
}

/** Cache settings in seconds (SPEC §9), and the most entries kept. */
export interface GatewayCacheConfig {
  ttl?: number;
  negTtl?: number;
  resurrectTtl?: number;
  max?: number;
}

export interface GatewayRouteConfig {
  /** A path prefix matched on segment boundaries: `/openai` matches `/openai/x`, not `/openaix`. */
  path: string;
  /** `http(s)://host[:port][/base]`, no credentials, query or fragment. */
  upstream: string;
  /** Drop `path` before appending the rest to the upstream's base path (default true). */
  stripPrefix?: boolean;
  /** Header name → template (`Bearer {vault://coffer/ml/openai_key}`). */
  headers?: Record<string, string>;
  /** Query parameter name → template. */
  query?: Record<string, string>;
  /** How long to wait for the upstream's response headers, in ms. */
  timeoutMs?: number;
}

export interface GatewayConfig {
  listen?: GatewayListenConfig;
  coffer?: GatewayCofferConfig;
  cache?: GatewayCacheConfig;
  /** The `env` backend: enabled by an object (optionally with a prefix), off when absent or false. */
  env?: { prefix?: string } | false;
  /** The `file` backend, rooted at a directory. */
  file?: { root: string };
  /** References arriving in requests are resolved only when named here (off by default). */
  incoming?: { allow: string[] };
  /** Where Prometheus metrics are served (default `/-/metrics`); never proxied. */
  metricsPath?: string;
  routes: GatewayRouteConfig[];
}

export const MAX_GATEWAY_ROUTES = 1000;
export const MAX_GATEWAY_TEMPLATES_PER_ROUTE = 64;

/** Path segments of RFC 3986 pchars, no empty segment, no trailing `/` (except `/` itself). */
const PCHAR = "[A-Za-z0-9._~!$&'()*+,;=:@%-]";
const ROUTE_PATH_SOURCE = `^/(${PCHAR}+(/${PCHAR}+)*)?$`;

const routePath = { type: "string", maxLength: 1024, pattern: ROUTE_PATH_SOURCE } as const;
const seconds = { type: "integer", minimum: 0, maximum: MAX_CACHE_SECONDS } as const;
const template = gatewayTemplateSchema;

function templateMap(nameSchema: object) {
  return {
    type: "object",
    maxProperties: MAX_GATEWAY_TEMPLATES_PER_ROUTE,
    propertyNames: nameSchema,
    additionalProperties: template,
  } as const;
}

export const gatewayRouteSchema = {
  type: "object",
  additionalProperties: false,
  required: ["path", "upstream"],
  properties: {
    path: routePath,
    upstream: { type: "string", maxLength: 2048, format: "http-url" },
    stripPrefix: { type: "boolean" },
    headers: templateMap({ type: "string", maxLength: 256, pattern: HEADER_NAME_SOURCE }),
    query: templateMap({
      type: "string",
      minLength: 1,
      maxLength: 256,
      pattern: NO_CONTROL_SOURCE,
    }),
    timeoutMs: { type: "integer", minimum: 1, maximum: 3_600_000 },
  },
} as const;

export const gatewayConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["routes"],
  properties: {
    listen: {
      type: "object",
      additionalProperties: false,
      properties: {
        host: { type: "string", minLength: 1, maxLength: 253, pattern: "^[^\\s/]+$" },
        port: { type: "integer", minimum: 0, maximum: 65535 },
      },
    },
    coffer: {
      type: "object",
      additionalProperties: false,
      required: ["url"],
      properties: {
        url: { type: "string", maxLength: 2048, format: "http-url" },
        timeoutMs: { type: "integer", minimum: 1, maximum: 600_000 },
        feed: { type: "boolean" },
      },
    },
    cache: {
      type: "object",
      additionalProperties: false,
      properties: {
        ttl: seconds,
        negTtl: seconds,
        resurrectTtl: seconds,
        max: { type: "integer", minimum: 1, maximum: 1_000_000 },
      },
    },
    env: {
      // `false`, or an object; if/then/else keeps the error to the branch that applies.
      if: { type: "boolean" },
      then: { const: false },
      else: {
        type: "object",
        additionalProperties: false,
        properties: { prefix: { type: "string", maxLength: 128, pattern: "^[A-Za-z0-9_]*$" } },
      },
    },
    file: {
      type: "object",
      additionalProperties: false,
      required: ["root"],
      properties: { root: { type: "string", minLength: 1, maxLength: 4096 } },
    },
    incoming: {
      type: "object",
      additionalProperties: false,
      required: ["allow"],
      properties: {
        allow: {
          type: "array",
          maxItems: 256,
          items: { type: "string", minLength: 1, maxLength: MAX_REFERENCE_LENGTH },
        },
      },
    },
    metricsPath: { ...routePath, not: { const: "/" } },
    routes: {
      type: "array",
      minItems: 1,
      maxItems: MAX_GATEWAY_ROUTES,
      items: gatewayRouteSchema,
    },
  },
} as const;

/** `http:` or `https:` with a host, and no credentials, query or fragment. */
export function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\/[^/?#\s]/i.test(text) || /[?#\s]/.test(text)) return false;
  try {
    const url = new URL(text);
    return url.hostname !== "" && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

/**
 * Compiled on first use, not at import: every part imports core, and compiling this schema
 * (with ajv's meta-schema) cost the CLI's every start about 60 ms.
 */
let compiled: ValidateFunction<GatewayConfig> | undefined;
function configValidator(): ValidateFunction<GatewayConfig> {
  if (compiled === undefined) {
    const configAjv = new Ajv({ strict: true, allErrors: true, coerceTypes: false });
    configAjv.addFormat("http-url", { type: "string", validate: isHttpUrl });
    compiled = configAjv.compile<GatewayConfig>(gatewayConfigSchema);
  }
  return compiled;
}

const MAX_SHOWN = 64;

/** The schema object at a JSON pointer like `#/properties/routes/items` (for known field names). */
function schemaAt(pointer: string): unknown {
  let node: unknown = gatewayConfigSchema;
  for (const part of pointer.replace(/^#\/?/, "").split("/")) {
    if (part === "") continue;
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return node;
}

const escapePointer = (segment: string): string =>
  segment.replaceAll("~", "~0").replaceAll("/", "~1");

function describeIssue(error: ErrorObject): ValidationIssue | undefined {
  const path = error.instancePath === "" ? "/" : error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    // The branch that applied reports the real problem; these only say a branch failed.
    case "if":
    case "propertyNames":
      return undefined;
    case "additionalProperties": {
      const field = String(params["additionalProperty"]);
      const parent = schemaAt(error.schemaPath.replace(/\/additionalProperties$/, "")) as {
        properties?: Record<string, unknown>;
      };
      const hint = closestName(field, Object.keys(parent?.properties ?? {}));
      const shown = field.slice(0, MAX_SHOWN);
      return {
        path,
        message: `unknown field "${shown}"${hint === undefined ? "" : `; did you mean "${hint}"?`}`,
      };
    }
    case "required":
      return { path, message: `missing field "${String(params["missingProperty"])}"` };
    case "const":
      return { path, message: `must be ${JSON.stringify(params["allowedValue"])}` };
    case "not": // only metricsPath has one
      return { path, message: 'must not be "/": every request would be a metrics scrape' };
    default:
      break;
  }
  if (error.propertyName !== undefined) {
    const name = error.propertyName.slice(0, MAX_SHOWN);
    const what = error.schemaPath.includes("/headers/") ? "header name" : "parameter name";
    return {
      path: `${error.instancePath}/${escapePointer(name)}`,
      message:
        error.keyword === "pattern"
          ? error.schemaPath.includes("/headers/")
            ? "is not a valid HTTP header name"
            : "must not hold control characters"
          : `${what} ${error.message ?? `fails ${error.keyword}`}`,
    };
  }
  if (error.keyword === "pattern") {
    return { path, message: patternMessage(error.schemaPath) };
  }
  return { path, message: error.message ?? `fails ${error.keyword}` };
}

/** Patterns said in words: a regular expression is a poor error message. */
function patternMessage(schemaPath: string): string {
  if (schemaPath.endsWith("/path/pattern") || schemaPath.includes("/metricsPath/")) {
    return 'must be a path like "/api" or "/": segments of URL path characters, no trailing "/"';
  }
  if (schemaPath.includes("/additionalProperties/pattern")) {
    return "must not hold control characters (only tab)";
  }
  if (schemaPath.includes("/env/")) return "must be letters, digits and _";
  if (schemaPath.includes("/host/")) return "must be a host name or address";
  return "has characters that are not allowed";
}

export type GatewayConfigCheck =
  { ok: true; config: GatewayConfig } | { ok: false; issues: ValidationIssue[] };

/** Checks a parsed config file against the schema; every problem, each with its JSON pointer. */
export function validateGatewayConfig(data: unknown): GatewayConfigCheck {
  const validate = configValidator();
  if (validate(data)) return { ok: true, config: data };
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const issue = describeIssue(error);
    if (issue === undefined) continue;
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  if (issues.length === 0) issues.push({ path: "/", message: "rejected" });
  return { ok: false, issues };
}
