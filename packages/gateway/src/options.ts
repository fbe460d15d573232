/**
 * The middleware's options, checked when it is built: unknown names first (with a hint for a
 * typo), then the JSON Schema kept in core (`gatewayOptionsSchema`).
 */
import {
  closestName,
  gatewayOptionsSchema,
  gatewayOptionsValidator,
  invalidRequest,
  validateOrThrow,
  type MintedAccessKey,
} from "@coffer/core";
import type { Backend, CacheOptions, GatewayResolver } from "./types.js";

export interface GatewayOptions {
  /** Share one resolver between middlewares; else one is built from coffer, env, file, backends. */
  resolver?: GatewayResolver;
  /** The coffer backend, reading from this server. */
  coffer?: {
    url: string;
    token?: string;
    accessKey?: MintedAccessKey;
    timeoutMs?: number;
    feed?: boolean;
  };
  /** The env backend: on by default (process.env), off with false. */
  env?: { prefix?: string; variables?: Record<string, string | undefined> } | false;
  /** The file backend, only when given. */
  file?: { root: string };
  /** More backends (see the Backend interface). */
  backends?: Backend[];
  cache?: CacheOptions;
  /** Header name → a string that may hold references. */
  headers?: Record<string, string>;
  /** Query parameter → a string that may hold references. */
  query?: Record<string, string>;
  /** Dotted path in a JSON body (`auth.token`) → a string that may hold references. */
  body?: Record<string, string>;
  /** Patterns of references that may be resolved when they arrive in the request. */
  incoming?: { allow: string[] };
  /**
   * Told about what may be a mistake but may be meant (a template holding `vault://…` without
   * braces), once, when the middleware is built. Default: `process.emitWarning`.
   */
  onWarning?: (message: string) => void;
}

const MAX_NAME_SHOWN = 64;

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  additionalProperties?: unknown;
  else?: SchemaNode;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Throws for the first option name the schema does not know, with a hint when it is a typo. */
function checkNames(schema: SchemaNode, data: unknown, path: string): void {
  const node = schema.properties === undefined && schema.else !== undefined ? schema.else : schema;
  if (!isPlainObject(data) || node.properties === undefined) return;
  if (node.additionalProperties !== false) return;
  const known = Object.keys(node.properties);
  for (const [name, value] of Object.entries(data)) {
    const child = Object.hasOwn(node.properties, name) ? node.properties[name] : undefined;
    if (child === undefined) {
      const shown = `${path}${name.slice(0, MAX_NAME_SHOWN)}`;
      const hint = closestName(name, known);
      throw invalidRequest(
        hint !== undefined
          ? `unknown option "${shown}"; did you mean "${path}${hint}"?`
          : `unknown option "${shown}"; known: ${known.map((k) => path + k).join(", ")}`,
        { option: shown, ...(hint !== undefined ? { hint: path + hint } : {}) },
      );
    }
    checkNames(child, value, `${path}${name}.`);
  }
}

const FORBIDDEN_BODY_SEGMENTS = new Set(["__proto__", "constructor", "prototype"]);

/** Returns the options typed when they are valid, else throws INVALID_REQUEST naming the problem. */
export function checkGatewayOptions(options: unknown): GatewayOptions {
  if (!isPlainObject(options)) throw invalidRequest("the gateway's options must be an object");
  checkNames(gatewayOptionsSchema as SchemaNode, options, "");
  validateOrThrow(gatewayOptionsValidator, options, "gateway options");
  const checked = options as GatewayOptions;
  for (const path of Object.keys(checked.body ?? {})) {
    if (path.split(".").some((segment) => FORBIDDEN_BODY_SEGMENTS.has(segment))) {
      throw invalidRequest(`body path "${path}" may not use __proto__, constructor or prototype`);
    }
  }
  for (const backend of checked.backends ?? []) {
    if (typeof backend.fetch !== "function" || typeof backend.name !== "string") {
      throw invalidRequest("every backend needs a name and a fetch function");
    }
  }
  if (checked.onWarning !== undefined && typeof checked.onWarning !== "function") {
    throw invalidRequest("onWarning must be a function");
  }
  if (checked.resolver !== undefined && typeof checked.resolver.resolve !== "function") {
    throw invalidRequest("resolver must have a resolve function");
  }
  return checked;
}
