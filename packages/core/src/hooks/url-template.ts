/**
 * A hook's URL (SPEC §12): scheme, host and port are fixed text, so a rendered value can never
 * choose where a delivery goes; the path and the query may hold event variables
 * (`${event.type}`), whose values are percent-encoded.
 *
 * A secret template is refused anywhere in the URL (a choice where the SPEC is silent): URLs
 * end up in access logs, proxies and browser histories, and house rule says no value goes in
 * a URL. A secret goes in a header or the body.
 */
import { invalidRequest, unprocessable } from "../errors.js";
import { parseHookTemplate, type HookTemplatePart } from "./hook-template.js";

export const MAX_HOOK_URL_LENGTH = 2048;
/** A rendered URL may grow past the template's bound, up to this. */
export const MAX_HOOK_RENDERED_URL_LENGTH = 8192;

/** Where a template of the URL stands, which decides how its value is encoded. */
export type UrlPlace = "path" | "query";

export interface CompiledUrl {
  /** `https://host:port`, as the URL parser writes it. */
  origin: string;
  /** The rest (path, query), parsed; `place` says for each part where it stands. */
  parts: (HookTemplatePart & { place: UrlPlace })[];
}

const SCHEME_RE = /^https?:\/\//i;

const refuse = (message: string, details: Record<string, unknown> = {}) =>
  invalidRequest(`url: ${message}`, { field: "url", ...details });

/** Splits `text` where the path starts (at the first `/`, `?` or `#` after `scheme://`). */
function pathStart(text: string): number {
  const scheme = SCHEME_RE.exec(text);
  if (scheme === null) {
    if (text.slice(0, text.indexOf("://") + 1).includes("$"))
      throw refuse("the scheme, host and port are never templated");
    throw refuse("must start with http:// or https://");
  }
  const rest = text.slice(scheme[0].length).search(/[/?#]/);
  return rest === -1 ? text.length : scheme[0].length + rest;
}

function parseOrigin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse("is not a URL");
  }
  if (url.username !== "" || url.password !== "") {
    throw refuse("must not hold credentials; send them in a header with a ${SECRET} template");
  }
  return url.origin;
}

export function compileUrl(text: string): CompiledUrl {
  if (text.length > MAX_HOOK_URL_LENGTH) throw refuse(`longer than ${MAX_HOOK_URL_LENGTH}`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(text)) throw refuse("must not hold whitespace or controls");
  const start = pathStart(text);
  if (text.slice(0, start).includes("$")) {
    throw refuse(
      "the scheme, host and port are never templated (a template may stand only in the path or query)",
    );
  }
  const origin = parseOrigin(text.slice(0, start));
  const parsed = parseHookTemplate(text.slice(start));
  const secret = parsed.find((part) => part.kind === "ref");
  if (secret !== undefined) {
    throw refuse(
      "a secret never goes in a URL (servers and proxies log URLs): send it in a header or the body",
      { reason: "secret-in-url" },
    );
  }
  let place: UrlPlace = "path";
  const parts = parsed.map((part) => {
    const here = { ...part, place };
    if (part.kind === "text") {
      if (part.text.includes("#")) throw refuse("must not hold a fragment (it is never sent)");
      if (part.text.includes("?")) place = "query";
    }
    return here;
  });
  // The fixed text with a harmless value in each template must be a URL of the same origin.
  const sample = origin + parts.map((part) => (part.kind === "text" ? part.text : "x")).join("");
  let parsedSample: URL;
  try {
    parsedSample = new URL(sample);
  } catch {
    throw refuse("is not a URL");
  }
  if (parsedSample.origin !== origin) throw refuse("is not a URL");
  if (hasDotSegment(sample.slice(origin.length))) throw refuse("must not hold . or .. segments");
  return { origin, parts };
}

/** `.` and `..` segments, written plainly or percent-encoded, which URL parsers resolve away. */
const DOT_SEGMENT_RE = /^(\.|%2e){1,2}$/i;

/** Whether the path of `rest` (a URL without its origin) has a `.` or `..` segment. */
function hasDotSegment(rest: string): boolean {
  const queryAt = rest.indexOf("?");
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  return path.split("/").some((segment) => DOT_SEGMENT_RE.test(segment));
}

/**
 * The URL with each template's value percent-encoded. A value that would make a `.` or `..`
 * path segment is refused: it would move the request to another path of the host.
 */
export function renderUrl(
  compiled: CompiledUrl,
  valueOf: (part: Exclude<HookTemplatePart, { kind: "text" }>) => string,
): string {
  let out = compiled.origin;
  for (const part of compiled.parts) {
    if (part.kind === "text") {
      out += part.text;
      continue;
    }
    const value = valueOf(part);
    let encoded: string;
    try {
      encoded = encodeURIComponent(value);
    } catch {
      throw unprocessable("url: a template's value is not valid Unicode text", { field: "url" });
    }
    out += encoded;
  }
  if (hasDotSegment(out.slice(compiled.origin.length))) {
    throw unprocessable("url: a rendered path would hold a . or .. segment", { field: "url" });
  }
  if (out.length > MAX_HOOK_RENDERED_URL_LENGTH) {
    throw unprocessable(`url: longer than ${MAX_HOOK_RENDERED_URL_LENGTH} once rendered`, {
      field: "url",
    });
  }
  const url = new URL(out);
  if (url.origin !== compiled.origin) {
    throw new Error("unreachable: a rendered hook URL changed its origin");
  }
  return url.href;
}
