/**
 * `coffer(options)`: Express middleware (helmet/cors style) that sets headers, query parameters
 * and JSON body fields from strings holding vault references, before a proxy or handler runs.
 *
 * - Built once: options are checked and every template is parsed then, so a typo or a bad
 *   reference fails at start, never per request.
 * - Per request, all distinct references (of every template, and the allowed incoming ones) go
 *   to the resolver in one call; values are spliced in, never scanned again.
 * - When every reference is a fresh cache hit, the request is handled synchronously: no promise,
 *   no allocation but the spliced strings, and `next()` is called before the function returns.
 * - Failures go to `next(err)` as a GatewayError (502 when a backend failed); nothing is thrown.
 */
import {
  findReferenceLookalikes,
  findVaultReferences,
  invalidRequest,
  VAULT_PREFIX,
  isCofferError,
  referenceIdentity,
  type ParseOptions,
  type VaultReference,
} from "@coffer/core";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { cofferBackend } from "./coffer-backend.js";
import { unlistFromConnection } from "./connection-header.js";
import { envBackend } from "./env-backend.js";
import { fileBackend } from "./file-backend.js";
import { GatewayError } from "./gateway-error.js";
import { compileAllowList, findAllowed } from "./incoming.js";
import { checkGatewayOptions, type GatewayOptions } from "./options.js";
import { createResolver } from "./resolver.js";
import type { Backend, CacheStats, GatewayResolver } from "./types.js";

export type CofferMiddleware = RequestHandler & {
  readonly resolver: GatewayResolver;
  stats(): CacheStats;
  /** Closes the resolver if this middleware built it (a resolver given in options is left open). */
  close(): Promise<void>;
};

/** A string with references, cut at them: `parts[0] + v[slots[0]] + parts[1] + …`. */
interface Template {
  readonly parts: readonly string[];
  /** Index of each reference's value in the middleware's list of distinct references. */
  readonly slots: readonly number[];
}

interface Plan {
  readonly references: VaultReference[];
  readonly ids: string[];
  readonly headers: readonly (readonly [name: string, template: Template])[];
  readonly query: readonly (readonly [name: string, template: Template])[];
  readonly body: readonly (readonly [path: readonly string[], template: Template])[];
}

/** Node's rule for outgoing header values: no CR, LF, NUL, no characters past U+00FF. */
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const TRAILING_NEWLINE = /(?:\r\n|\n|\r)$/;
const MAX_JSON_DEPTH = 64;

function backendsOf(options: GatewayOptions): Backend[] {
  const backends: Backend[] = [];
  if (options.env !== false) {
    const env = options.env ?? {};
    backends.push(
      envBackend({
        ...(env.prefix !== undefined ? { prefix: env.prefix } : {}),
        ...(env.variables !== undefined ? { variables: env.variables } : {}),
      }),
    );
  }
  if (options.file !== undefined) backends.push(fileBackend({ root: options.file.root }));
  if (options.coffer !== undefined) backends.push(cofferBackend(options.coffer));
  backends.push(...(options.backends ?? []));
  return backends;
}

/**
 * Reports text that looks like a mistyped reference: a certain typo (`{vault:/x}`) throws, text
 * that may be meant (`vault://x` without braces) goes to `warn`. `where` names the template.
 */
function checkLookalikes(text: string, where: string, warn: (message: string) => void): void {
  for (const lookalike of findReferenceLookalikes(text)) {
    const message = `${where}: ${lookalike.message}`;
    if (lookalike.kind === "mistyped") throw invalidRequest(message, { option: where });
    warn(message);
  }
}

const emitWarning = (message: string): void =>
  process.emitWarning(message, { type: "CofferWarning", code: "COFFER_REFERENCE_LOOKALIKE" });

function compilePlan(options: GatewayOptions, parseOptions: ParseOptions): Plan {
  const references: VaultReference[] = [];
  const ids: string[] = [];
  const slotOf = new Map<string, number>();
  const warn = options.onWarning ?? emitWarning;
  const compile = (text: string, where: string): Template => {
    const found = findVaultReferences(text, parseOptions); // a bad reference throws here
    checkLookalikes(text, where, warn);
    const parts: string[] = [];
    const slots: number[] = [];
    let at = 0;
    for (const f of found) {
      const id = referenceIdentity(f.reference, parseOptions);
      let slot = slotOf.get(id);
      if (slot === undefined) {
        slot = references.length;
        slotOf.set(id, slot);
        references.push(f.reference);
        ids.push(id);
      }
      parts.push(text.slice(at, f.start));
      slots.push(slot);
      at = f.end;
    }
    parts.push(text.slice(at));
    return { parts, slots };
  };
  const headers = Object.entries(options.headers ?? {}).map(
    ([name, text]) => [name.toLowerCase(), compile(text, `headers.${name}`)] as const,
  );
  const seen = new Set<string>();
  for (const [name] of headers) {
    if (seen.has(name)) throw invalidRequest(`header "${name}" is given twice`);
    seen.add(name);
  }
  const query = Object.entries(options.query ?? {}).map(
    ([name, text]) => [name, compile(text, `query.${name}`)] as const,
  );
  const body = Object.entries(options.body ?? {}).map(
    ([path, text]) => [path.split("."), compile(text, `body.${path}`)] as const,
  );
  return { references, ids, headers, query, body };
}

function render(template: Template, values: readonly string[]): string {
  const { parts, slots } = template;
  let out = parts[0]!;
  for (let i = 0; i < slots.length; i++) out += values[slots[i]!]! + parts[i + 1]!;
  return out;
}

type JsonObject = Record<string, unknown>;

const isPlainObject = (value: unknown): value is JsonObject => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * Sets a dotted path, making (or replacing non-object) intermediate values with objects.
 * Returns the object that received the value.
 */
function setPath(body: JsonObject, path: readonly string[], value: string): JsonObject {
  let node = body;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i]!;
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (isPlainObject(next)) {
      node = next;
    } else {
      const fresh: JsonObject = {};
      node[segment] = fresh;
      node = fresh;
    }
  }
  node[path.at(-1)!] = value;
  return node;
}

/** Where a request's own text holds allowed references, and how to write it back. */
interface Site {
  text: string;
  found: { start: number; end: number; id: string }[];
  /** The header it goes into, if any (its value is checked). */
  header?: string;
  write(text: string): void;
}

interface Incoming {
  sites: Site[];
  /** References not among the middleware's own, and their identities. */
  references: VaultReference[];
  ids: string[];
  /** The query's pairs when one of them holds references (written back with the configured). */
  query: [string, string][] | undefined;
}

/**
 * Where middlewares of this package wrote resolved values into a request, so that a later
 * middleware with an allow-list does not scan them (a resolved value is never scanned again).
 * Kept only once some middleware has an allow-list.
 */
interface Injected {
  headers: Set<string>;
  query: Set<string>;
  body: Map<object, Set<string>>;
}
const injected = new WeakMap<Request, Injected>();
let anyAllowList = false;

export function coffer(options: GatewayOptions = {}): CofferMiddleware {
  const checked = checkGatewayOptions(options);
  const { resolver: given, ...rest } = checked;
  if (
    given !== undefined &&
    Object.keys(rest).some((k) => ["coffer", "env", "file", "backends", "cache"].includes(k))
  ) {
    throw invalidRequest(
      "give a resolver, or coffer/env/file/backends/cache to build one: not both",
    );
  }
  const resolver =
    given ??
    createResolver({
      backends: backendsOf(checked),
      ...(checked.cache !== undefined ? { cache: checked.cache } : {}),
    });
  const parseOptions = resolver.parseOptions;
  const plan = compilePlan(checked, parseOptions);
  const allow =
    checked.incoming !== undefined
      ? compileAllowList(checked.incoming.allow, parseOptions)
      : undefined;
  if (
    given === undefined &&
    checked.env !== false &&
    !checked.env?.prefix &&
    checked.incoming?.allow.some((pattern) => pattern.startsWith(`${VAULT_PREFIX}env/`))
  ) {
    throw invalidRequest(
      "incoming.allow names env references but env.prefix is not set: clients could read any variable of this process (COFFER_TOKEN included); set env.prefix",
    );
  }
  if (allow !== undefined && allow.length > 0) anyAllowList = true;
  const scanIncoming = allow !== undefined && allow.length > 0;
  const configuredHeaders = new Set(plan.headers.map(([name]) => name));
  const configuredQuery = new Set(plan.query.map(([name]) => name));
  const slotOf = new Map(plan.ids.map((id, i) => [id, i]));
  /** Reused by every request: each is filled and read with no await in between. */
  const scratch = new Array<string>(plan.references.length);
  const renderedHeaders = new Array<string>(plan.headers.length);

  function findIncoming(req: Request): Incoming | undefined {
    const seen = injected.get(req);
    let incoming: Incoming | undefined;
    const add = (text: string, write: (text: string) => void, header?: string): void => {
      const allowed = findAllowed(text, allow!, parseOptions);
      if (allowed === undefined) return;
      incoming ??= { sites: [], references: [], ids: [], query: undefined };
      for (const { found, id } of allowed) {
        if (!slotOf.has(id) && !incoming.ids.includes(id)) {
          // Each distinct reference may cost a backend call and a cache entry: bounded.
          if (incoming.ids.length >= MAX_INCOMING_REFERENCES) throw tooManyIncoming();
          incoming.references.push(found.reference);
          incoming.ids.push(id);
        }
      }
      const found = allowed.map(({ found, id }) => ({ start: found.start, end: found.end, id }));
      incoming.sites.push({ text, found, write, ...(header !== undefined ? { header } : {}) });
    };

    for (const [name, value] of Object.entries(req.headers)) {
      if (configuredHeaders.has(name) || seen?.headers.has(name)) continue;
      if (typeof value === "string") {
        add(value, (text) => (req.headers[name] = text), name);
      } else if (Array.isArray(value)) {
        const values = [...value];
        values.forEach((item, i) => {
          add(
            item,
            (text) => {
              values[i] = text;
              req.headers[name] = values;
            },
            name,
          );
        });
      }
    }

    const q = req.url.indexOf("?");
    if (q !== -1) {
      const pairs = [...new URLSearchParams(req.url.slice(q + 1))];
      const before = incoming?.sites.length ?? 0;
      for (const pair of pairs) {
        if (configuredQuery.has(pair[0]) || seen?.query.has(pair[0])) continue;
        add(pair[1], (text) => (pair[1] = text));
      }
      if ((incoming?.sites.length ?? 0) > before) incoming!.query = pairs;
    }

    const walk = (node: object, depth: number): void => {
      if (depth > MAX_JSON_DEPTH) return;
      const skip = seen?.body.get(node);
      const holder = node as JsonObject;
      for (const key of Object.keys(holder)) {
        if (skip?.has(key)) continue;
        const value = holder[key];
        if (typeof value === "string") {
          add(value, (text) => {
            holder[key] = text;
            markBody(markInjected(req), holder, key);
          });
        } else if (typeof value === "object" && value !== null) {
          walk(value, depth + 1);
        }
      }
    };
    const body: unknown = req.body;
    if (isPlainObject(body) || Array.isArray(body)) walk(body, 0);
    return incoming;
  }

  function apply(
    req: Request,
    values: readonly string[],
    incoming?: Incoming,
  ): GatewayError | undefined {
    const record = anyAllowList ? markInjected(req) : undefined;
    const headerValues = renderedHeaders;
    for (let i = 0; i < plan.headers.length; i++) {
      const [name, template] = plan.headers[i]!;
      const value = render(template, values);
      if (INVALID_HEADER_VALUE.test(value)) {
        return badHeader(
          name,
          template.slots.map((slot) => [plan.ids[slot]!, values[slot]!] as const),
        );
      }
      headerValues[i] = value;
    }
    if (incoming !== undefined) {
      const valueOf = (id: string): string => {
        const slot = slotOf.get(id);
        return slot !== undefined
          ? values[slot]!
          : values[plan.references.length + incoming.ids.indexOf(id)]!;
      };
      const texts = incoming.sites.map((site) => {
        let out = "";
        let at = 0;
        for (const f of site.found) {
          out += site.text.slice(at, f.start) + valueOf(f.id);
          at = f.end;
        }
        return out + site.text.slice(at);
      });
      for (const [i, site] of incoming.sites.entries()) {
        if (site.header !== undefined && INVALID_HEADER_VALUE.test(texts[i]!)) {
          return badHeader(
            site.header,
            site.found.map((f) => [f.id, valueOf(f.id)] as const),
          );
        }
      }
      incoming.sites.forEach((site, i) => {
        site.write(texts[i]!);
        if (site.header !== undefined) record?.headers.add(site.header);
      });
      for (const [name] of incoming.query ?? []) record?.query.add(name);
    }
    for (let i = 0; i < plan.headers.length; i++) {
      const name = plan.headers[i]![0];
      req.headers[name] = headerValues[i];
      record?.headers.add(name);
    }
    // After injection: a client's `Connection: authorization` must not get ours dropped.
    if (req.headers.connection !== undefined) unlistFromConnection(req.headers, configuredHeaders);
    if (plan.query.length > 0 || incoming?.query !== undefined) {
      rewriteQuery(req, values, incoming);
      for (const [name] of plan.query) record?.query.add(name);
    }
    if (plan.body.length > 0 && isPlainObject(req.body)) {
      for (const [path, template] of plan.body) {
        const holder = setPath(req.body, path, render(template, values));
        if (record !== undefined) markBody(record, holder, path.at(-1)!);
      }
    }
    return undefined;
  }

  function rewriteQuery(req: Request, values: readonly string[], incoming?: Incoming): void {
    const q = req.url.indexOf("?");
    const path = q === -1 ? req.url : req.url.slice(0, q);
    const params = new URLSearchParams(incoming?.query ?? (q === -1 ? "" : req.url.slice(q + 1)));
    for (const [name, template] of plan.query) params.set(name, render(template, values));
    // req.query is a getter over req.url in Express 5, so handlers and proxies both see this.
    // req.originalUrl keeps what arrived: access logs read it, and must not show a secret.
    req.url = `${path}?${params.toString()}`;
  }

  async function resolveAndApply(
    req: Request,
    incoming?: Incoming,
  ): Promise<GatewayError | undefined> {
    const references =
      incoming === undefined ? plan.references : [...plan.references, ...incoming.references];
    const ids = incoming === undefined ? plan.ids : [...plan.ids, ...incoming.ids];
    let outcomes;
    try {
      outcomes = await resolver.resolve(references);
    } catch (error) {
      return isCofferError(error)
        ? new GatewayError(502, "INTERNAL_SERVER_ERROR", "cannot resolve references", {
            cause: error.errorCode,
          })
        : GatewayError.internal();
    }
    const values: string[] = [];
    for (let i = 0; i < references.length; i++) {
      const outcome = outcomes[i];
      if (outcome === undefined) return GatewayError.internal();
      if (!outcome.ok) return GatewayError.backendFailed(ids[i]!, references[i]!, outcome.error);
      values.push(outcome.value);
    }
    return apply(req, values, incoming);
  }

  const cofferGateway = function cofferGateway(
    req: Request,
    _res: Response,
    next: NextFunction,
  ): void {
    let incoming: Incoming | undefined;
    let done = false;
    let error: GatewayError | undefined;
    try {
      incoming = scanIncoming ? findIncoming(req) : undefined;
      if (incoming === undefined && resolver.peekAll !== undefined) {
        // The fast path: every reference a fresh hit, handled before this function returns.
        const values = resolver.peekAll(plan.references, scratch);
        if (values !== undefined) {
          done = true;
          error = apply(req, values);
        }
      }
    } catch (thrown) {
      done = true;
      error = thrown instanceof GatewayError ? thrown : GatewayError.internal();
    }
    if (done) {
      if (error === undefined) next();
      else next(error);
      return;
    }
    void resolveAndApply(req, incoming)
      .catch(() => GatewayError.internal())
      .then((failure) => (failure === undefined ? next() : next(failure)));
  };

  return Object.defineProperties(cofferGateway, {
    resolver: { value: resolver, enumerable: true },
    stats: { value: () => resolver.stats(), enumerable: true },
    close: {
      value: () => (given === undefined ? resolver.close() : Promise.resolve()),
      enumerable: true,
    },
  }) as CofferMiddleware;
}

/** Distinct references one request may bring for the allow-list to admit. */
export const MAX_INCOMING_REFERENCES = 16;

function tooManyIncoming(): GatewayError {
  return new GatewayError(
    400,
    "INVALID_REQUEST",
    `a request may bring at most ${MAX_INCOMING_REFERENCES} distinct references to resolve`,
    { limit: MAX_INCOMING_REFERENCES },
  );
}

/**
 * A value a header cannot hold, given the references the header's text used and their values
 * (never shown). A value whose only fault is a trailing newline (a file or variable written
 * with `echo`) is named, with the fix.
 */
function badHeader(
  name: string,
  used: readonly (readonly [reference: string, value: string])[],
): GatewayError {
  for (const [reference, value] of used) {
    const trimmed = value.replace(TRAILING_NEWLINE, "");
    if (trimmed !== value && !INVALID_HEADER_VALUE.test(trimmed)) {
      return new GatewayError(
        502,
        "INTERNAL_SERVER_ERROR",
        `the value of ${reference} ends with a newline (headers cannot hold one); store it without it`,
        { header: name, reference },
      );
    }
  }
  return new GatewayError(
    502,
    "INTERNAL_SERVER_ERROR",
    `the value for header "${name}" has characters a header cannot hold`,
    { header: name },
  );
}

function markBody(record: Injected, holder: object, key: string): void {
  const keys = record.body.get(holder) ?? new Set<string>();
  record.body.set(holder, keys.add(key));
}

function markInjected(req: Request): Injected {
  let record = injected.get(req);
  if (record === undefined) {
    record = { headers: new Set(), query: new Set(), body: new Map() };
    injected.set(req, record);
  }
  return record;
}
