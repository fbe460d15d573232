/**
 * Vault references in Kong's grammar (SPEC §6.1):
 * `{vault://<backend>/<path>[/][?k=v&…][#<version>]}`.
 *
 * - The inside reads as a URL: backend as host, then a path, a query, a fragment. Path
 *   segments and query parts are percent-unescaped; runs of `/` count as one.
 * - `{vault://env}` (no path) and `{vault://env/}` (empty path) are errors; `#` takes a
 *   base-10 integer from 1.
 * - Path rules per backend: Kong's (`env`, `file`): with two or more segments the last is a
 *   key into a JSON value, unless the path ends with `/`. Coffer's: `NAME`, `OWNER/NAME` or
 *   `OWNER/NAME/KEY`, with names checked against SPEC §2.
 * - Query keys: `ttl`, `neg_ttl`, `resurrect_ttl` (seconds) on every backend, plus the
 *   backend's own (`prefix` for env and file, `stage` for coffer). Anything else is an error
 *   that names the allowed keys.
 *
 * Parsing is pure and throws only ReferenceSyntaxError.
 */
import {
  MAX_CACHE_SECONDS,
  MAX_JSON_KEY_LENGTH,
  MAX_REFERENCE_LENGTH,
  MAX_VERSION_NUMBER,
  PRINCIPAL_NAME_RE,
  SECRET_NAME_RE,
} from "../model/limits.js";
import { ReferenceSyntaxError } from "./reference-error.js";

export const VAULT_PREFIX = "{vault://";

/** Per-reference cache settings, in seconds. */
export interface CacheOverrides {
  ttl?: number;
  negTtl?: number;
  resurrectTtl?: number;
}

export interface VaultReference {
  backend: string;
  /** The segments that name the secret: Kong's resource, or coffer's `[NAME]` / `[OWNER, NAME]`. */
  resource: readonly string[];
  /** A key into a JSON object value. */
  key?: string;
  version?: number;
  /** The backend's own query keys (`prefix`, `stage`), unescaped. */
  options: Readonly<Record<string, string>>;
  cache: CacheOverrides;
}

/** How a backend reads its path, and which query keys of its own it takes. */
export interface BackendSyntax {
  pathRule: "kong" | "coffer";
  options: readonly string[];
  /** Returns why an option's value is wrong, or undefined when it is fine. */
  checkOption?(name: string, value: string): string | undefined;
  /** Returns why a parsed reference is wrong as a whole, or undefined. */
  checkReference?(reference: VaultReference): string | undefined;
}

export const STAGES_IN_REFERENCES = ["current", "previous", "pending"] as const;

export const DEFAULT_BACKENDS: Readonly<Record<string, BackendSyntax>> = {
  env: { pathRule: "kong", options: ["prefix"], checkOption: nonEmpty },
  file: { pathRule: "kong", options: ["prefix"], checkOption: nonEmpty },
  coffer: {
    pathRule: "coffer",
    options: ["stage"],
    checkOption: (_name, value) =>
      (STAGES_IN_REFERENCES as readonly string[]).includes(value)
        ? undefined
        : `stage must be one of ${STAGES_IN_REFERENCES.join(", ")}`,
    checkReference: (ref) =>
      ref.version !== undefined && ref.options["stage"] !== undefined
        ? "give a version (#N) or a stage, not both"
        : undefined,
  },
};

function nonEmpty(name: string, value: string): string | undefined {
  return value === "" ? `${name} must not be empty` : undefined;
}

const CACHE_KEYS = { ttl: "ttl", neg_ttl: "negTtl", resurrect_ttl: "resurrectTtl" } as const;
type CacheQueryKey = keyof typeof CACHE_KEYS;
const BACKEND_NAME_RE = /^[a-z][a-z0-9-]{0,62}$/;
// Raw spaces, control characters and braces cannot stand in a reference; they travel escaped.
// eslint-disable-next-line no-control-regex
const UNSAFE_RAW_RE = /[\u0000-\u0020\u007f{]/;
// A lone surrogate cannot be percent-encoded, so it cannot stand in a reference either.
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface ParseOptions {
  backends?: Readonly<Record<string, BackendSyntax>>;
}

/** Parses one whole reference, braces included. */
export function parseVaultReference(text: string, options: ParseOptions = {}): VaultReference {
  const backends = options.backends ?? DEFAULT_BACKENDS;
  const fail = (reason: string, at: number): never => {
    throw new ReferenceSyntaxError(reason, text, at);
  };
  if (text.length > MAX_REFERENCE_LENGTH) fail(`longer than ${MAX_REFERENCE_LENGTH} characters`, 0);
  if (!text.startsWith(VAULT_PREFIX)) fail(`must start with "${VAULT_PREFIX}"`, 0);
  const close = text.indexOf("}");
  if (close === -1) fail('no closing "}"', text.length);
  if (close !== text.length - 1) fail('"}" must end the reference (write it as %7D inside)', close);
  const base = VAULT_PREFIX.length;
  const inner = text.slice(base, -1);
  const unsafe = UNSAFE_RAW_RE.exec(inner);
  if (unsafe)
    fail("spaces, control characters and braces must be percent-encoded", base + unsafe.index);
  const lone = LONE_SURROGATE_RE.exec(inner);
  if (lone) fail("a reference must be well-formed Unicode text", base + lone.index);

  const hashAt = inner.indexOf("#");
  const beforeFragment = hashAt === -1 ? inner : inner.slice(0, hashAt);
  const queryAt = beforeFragment.indexOf("?");
  const location = queryAt === -1 ? beforeFragment : beforeFragment.slice(0, queryAt);

  const slashAt = location.indexOf("/");
  const backend = slashAt === -1 ? location : location.slice(0, slashAt);
  if (backend === "") fail("the backend name is missing", base);
  if (!BACKEND_NAME_RE.test(backend))
    fail("a backend name is lowercase letters, digits and -", base);
  const syntax = Object.hasOwn(backends, backend) ? backends[backend] : undefined;
  if (!syntax)
    fail(`unknown backend "${backend}"; known: ${Object.keys(backends).sort().join(", ")}`, base);
  if (slashAt === -1) fail("the path is missing", base + location.length);

  const pathAt = base + slashAt + 1;
  const path = location.slice(slashAt + 1);
  const segments: string[] = [];
  const segmentAt: number[] = [];
  let offset = pathAt;
  for (const raw of path.split("/")) {
    if (raw !== "") {
      segments.push(unescape(raw, text, offset));
      segmentAt.push(offset);
    }
    offset += raw.length + 1;
  }
  if (segments.length === 0) fail("the path is empty", pathAt);
  const trailingSlash = path.endsWith("/");

  const ref: { -readonly [K in keyof VaultReference]: VaultReference[K] } = {
    backend,
    resource: [],
    options: {},
    cache: {},
  };
  applyPathRule(ref, syntax!, segments, trailingSlash, (reason, segment) =>
    fail(reason, segmentAt[segment] ?? pathAt),
  );

  if (queryAt !== -1) {
    const queryBase = base + queryAt + 1;
    readQuery(ref, syntax!, beforeFragment.slice(queryAt + 1), text, queryBase);
  }

  if (hashAt !== -1) {
    const version = inner.slice(hashAt + 1);
    if (!/^[0-9]{1,10}$/.test(version)) fail("# takes a base-10 version number", base + hashAt + 1);
    const n = Number(version);
    if (n < 1 || n > MAX_VERSION_NUMBER) fail("versions are numbered from 1", base + hashAt + 1);
    ref.version = n;
  }

  const problem = syntax!.checkReference?.(ref);
  if (problem !== undefined) fail(problem, 0);
  return ref;
}

function unescape(raw: string, text: string, at: number): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new ReferenceSyntaxError("malformed percent-escape", text, at);
  }
  return decoded;
}

function applyPathRule(
  ref: { resource: readonly string[]; key?: string },
  syntax: BackendSyntax,
  segments: string[],
  trailingSlash: boolean,
  /** `segment`: index of the offending segment, for the error's position. */
  fail: (reason: string, segment: number) => never,
): void {
  if (syntax.pathRule === "kong") {
    if (segments.length >= 2 && !trailingSlash) {
      ref.resource = segments.slice(0, -1);
      ref.key = segments.at(-1)!;
    } else {
      ref.resource = segments;
    }
    return;
  }
  if (segments.length > 3) fail("a coffer path is NAME, OWNER/NAME or OWNER/NAME/KEY", 3);
  const [first, second, third] = segments as [string, string?, string?];
  const name = second ?? first;
  if (second !== undefined && !PRINCIPAL_NAME_RE.test(first)) {
    fail(`owner "${first.slice(0, 40)}" is not a user or team name`, 0);
  }
  if (!SECRET_NAME_RE.test(name)) {
    fail(`"${name.slice(0, 130)}" is not a secret name`, second === undefined ? 0 : 1);
  }
  if (third !== undefined && third.length > MAX_JSON_KEY_LENGTH) {
    fail(`a key is at most ${MAX_JSON_KEY_LENGTH} characters`, 2);
  }
  ref.resource = second === undefined ? [first] : [first, second];
  if (third !== undefined) ref.key = third;
}

function readQuery(
  ref: { options: Readonly<Record<string, string>>; cache: CacheOverrides },
  syntax: BackendSyntax,
  query: string,
  text: string,
  queryBase: number,
): void {
  const allowed = [...Object.keys(CACHE_KEYS), ...syntax.options];
  const seen = new Set<string>();
  const options: Record<string, string> = {};
  let offset = queryBase;
  for (const part of query.split("&")) {
    const at = offset;
    offset += part.length + 1;
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = unescape((eq === -1 ? part : part.slice(0, eq)).replaceAll("+", " "), text, at);
    const value =
      eq === -1 ? "" : unescape(part.slice(eq + 1).replaceAll("+", " "), text, at + eq + 1);
    if (!allowed.includes(name)) {
      throw new ReferenceSyntaxError(
        `unknown query key "${name.slice(0, 40)}"; allowed: ${allowed.join(", ")}`,
        text,
        at,
      );
    }
    if (seen.has(name)) throw new ReferenceSyntaxError(`query key "${name}" given twice`, text, at);
    seen.add(name);
    if (Object.hasOwn(CACHE_KEYS, name)) {
      if (!/^[0-9]{1,9}$/.test(value) || Number(value) > MAX_CACHE_SECONDS) {
        throw new ReferenceSyntaxError(
          `${name} takes whole seconds from 0 to ${MAX_CACHE_SECONDS}`,
          text,
          at + eq + 1,
        );
      }
      ref.cache[CACHE_KEYS[name as CacheQueryKey]] = Number(value);
    } else {
      const problem = syntax.checkOption?.(name, value);
      if (problem !== undefined) throw new ReferenceSyntaxError(problem, text, at);
      options[name] = value;
    }
  }
  ref.options = options;
}

const escapeSegment = (segment: string): string => {
  if (!segment.isWellFormed()) {
    throw new ReferenceSyntaxError("a reference part must be valid Unicode text", segment, 0);
  }
  return encodeURIComponent(segment);
};

/**
 * The canonical text of a reference: segments escaped, backend options sorted, then the cache
 * keys. `parseVaultReference(formatVaultReference(r))` equals `r`.
 */
export function formatVaultReference(ref: VaultReference, options: ParseOptions = {}): string {
  const backends = options.backends ?? DEFAULT_BACKENDS;
  const syntax = Object.hasOwn(backends, ref.backend) ? backends[ref.backend] : undefined;
  if (syntax?.pathRule === "coffer" && ref.key !== undefined && ref.resource.length !== 2) {
    throw new ReferenceSyntaxError("a coffer key needs OWNER/NAME/KEY", ref.resource.join("/"), 0);
  }
  let path = ref.resource.map(escapeSegment).join("/");
  if (ref.key !== undefined) path += `/${escapeSegment(ref.key)}`;
  else if (syntax?.pathRule !== "coffer" && ref.resource.length >= 2) path += "/";
  const query: string[] = Object.keys(ref.options)
    .sort()
    .map((k) => `${escapeSegment(k)}=${escapeSegment(ref.options[k]!)}`);
  for (const [queryKey, field] of Object.entries(CACHE_KEYS)) {
    const seconds = ref.cache[field];
    if (seconds !== undefined) query.push(`${queryKey}=${seconds}`);
  }
  const q = query.length > 0 ? `?${query.join("&")}` : "";
  const v = ref.version !== undefined ? `#${ref.version}` : "";
  return `${VAULT_PREFIX}${ref.backend}/${path}${q}${v}}`;
}

/**
 * What a backend is asked for, without the cache settings: references with the same identity
 * are fetched once.
 */
export function referenceIdentity(ref: VaultReference, options: ParseOptions = {}): string {
  return formatVaultReference({ ...ref, cache: {} }, options);
}
