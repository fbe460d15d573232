/**
 * Hook requests as templates (SPEC §12): compiled when a hook is saved, rendered once per
 * delivery. The rules that keep a rendered value data and nothing more:
 * - the URL's scheme, host and port are fixed text; path and query values are percent-encoded;
 * - header names are fixed text; a header value that would hold CR, LF, NUL or another control
 *   character once rendered is refused before anything is sent;
 * - the body is JSON whose templates stand only inside JSON strings, and every value is
 *   JSON-escaped there;
 * - rendering is one pass: a value holding `${…}` is written as it is, never read again.
 * An event variable the event does not carry (`${token.name}` on a secret event) renders as "".
 * Errors name the field, the header or the template, never a value.
 */
import { Buffer } from "node:buffer";
import { invalidRequest, unprocessable } from "../errors.js";
import { ReferenceSyntaxError } from "../references/reference-error.js";
import { formatTemplateRef, type TemplateRef } from "../references/template.js";
import {
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from "../webhooks/standard-webhooks.js";
import { parseHookTemplate, type HookTemplatePart, type HookVariable } from "./hook-template.js";
import { jsonStringContent, parseJsonBodyTemplate } from "./json-body.js";
import { compileUrl, renderUrl, type CompiledUrl } from "./url-template.js";

export const MAX_HOOK_HEADERS = 32;
export const MAX_HOOK_HEADER_VALUE_BYTES = 8 * 1024;
export const MAX_HOOK_BODY_BYTES = 64 * 1024;
/** A rendered body may grow past the template's bound (values are up to 64 KiB each), up to this. */
export const MAX_HOOK_RENDERED_BODY_BYTES = 1024 * 1024;

/** Headers Coffer writes itself (signing, framing); a hook cannot set them. */
export const RESERVED_HOOK_HEADERS: readonly string[] = [
  WEBHOOK_ID_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
];

/** An HTTP field name (RFC 9110 token). */
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
/**
 * What no header value may hold: controls other than tab (CR, LF and NUL among them), and
 * characters past U+00FF (a header value is bytes; fetch would throw on them mid-send).
 */
// eslint-disable-next-line no-control-regex
const HEADER_VALUE_FORBIDDEN_RE = /[\u0000-\u0008\u000a-\u001f\u007f\u0100-\uffff]/;
const FORBIDDEN_TEXT = "a character no header may hold (CR, LF, NUL, a control, or past U+00FF)";

export interface HookTemplateInput {
  url: string;
  headers?: Readonly<Record<string, string>>;
  /** JSON text with templates inside its strings; without, the server sends the event itself. */
  body?: string | null;
}

export interface CompiledHookTemplate {
  url: CompiledUrl;
  headers: { name: string; parts: HookTemplatePart[] }[];
  body: HookTemplatePart[] | null;
  /** Every secret the templates name, once each, in order of first use. */
  secrets: TemplateRef[];
  variables: HookVariable[];
}

/** A ReferenceSyntaxError names the reference; this says in which field it stands too. */
function inField<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ReferenceSyntaxError)) throw error;
    throw invalidRequest(`${field}: ${error.message}`, { ...error.details, field });
  }
}

function compileHeader(name: string, value: string): HookTemplatePart[] {
  const field = `headers.${name}`;
  if (name.includes("${")) {
    throw invalidRequest("header names are never templated", { field: "headers" });
  }
  if (!HEADER_NAME_RE.test(name)) {
    throw invalidRequest(`header "${name.slice(0, 64)}" is not an HTTP header name`, {
      field: "headers",
    });
  }
  if (RESERVED_HOOK_HEADERS.includes(name.toLowerCase())) {
    throw invalidRequest(`header "${name}" is set by Coffer`, { field });
  }
  if (Buffer.byteLength(value) > MAX_HOOK_HEADER_VALUE_BYTES) {
    throw invalidRequest(`header "${name}" is longer than 8 KiB`, { field });
  }
  if (HEADER_VALUE_FORBIDDEN_RE.test(value)) {
    throw invalidRequest(`header "${name}" holds ${FORBIDDEN_TEXT}`, {
      field,
    });
  }
  return inField(field, () => parseHookTemplate(value));
}

function compileHeaders(
  headers: Readonly<Record<string, string>>,
): CompiledHookTemplate["headers"] {
  const entries = Object.entries(headers);
  if (entries.length > MAX_HOOK_HEADERS) {
    throw invalidRequest(`at most ${MAX_HOOK_HEADERS} headers`, { field: "headers" });
  }
  const seen = new Set<string>();
  return entries.map(([name, value]) => {
    const parts = compileHeader(name, value);
    if (seen.has(name.toLowerCase())) {
      throw invalidRequest(`header "${name}" is given twice`, { field: `headers.${name}` });
    }
    seen.add(name.toLowerCase());
    return { name, parts };
  });
}

function compileBody(body: string): HookTemplatePart[] {
  if (Buffer.byteLength(body) > MAX_HOOK_BODY_BYTES) {
    throw invalidRequest("body: longer than 64 KiB", { field: "body" });
  }
  return inField("body", () => parseJsonBodyTemplate(body));
}

/** Validates a hook's templates when it is saved; throws INVALID_REQUEST naming the field. */
export function compileHookTemplate(input: HookTemplateInput): CompiledHookTemplate {
  const url = inField("url", () => compileUrl(input.url));
  const headers = compileHeaders(input.headers ?? {});
  const body = input.body !== undefined && input.body !== null ? compileBody(input.body) : null;
  const all = [...url.parts, ...headers.flatMap((h) => h.parts), ...(body ?? [])];
  const secrets = new Map<string, TemplateRef>();
  const variables = new Set<HookVariable>();
  for (const part of all) {
    if (part.kind === "ref") secrets.set(formatTemplateRef(part.ref), part.ref);
    if (part.kind === "var") variables.add(part.name);
  }
  return { url, headers, body, secrets: [...secrets.values()], variables: [...variables] };
}

/** What a resolver may return for a secret: its value, or its value with where it came from. */
export interface ResolvedSecret {
  value: string;
  /** `secret://ORG/OWNER/NAME`. */
  uri?: string;
  version?: number;
}

export interface HookRenderContext {
  /** Called once per secret the templates name (the server resolves them all beforehand). */
  secret: (ref: TemplateRef) => string | ResolvedSecret;
  vars: Readonly<Partial<Record<HookVariable, string>>>;
}

export interface SecretUse {
  /** The template reference as written (`${ml/openai_key}`). */
  ref: string;
  uri?: string;
  version?: number;
}

export interface RenderedHookRequest {
  url: string;
  headers: Record<string, string>;
  body: string | null;
  /** The secret values written into the request, for redaction; never to be stored. */
  renderedValues: string[];
  secretsUsed: SecretUse[];
}

type Substitution = Exclude<HookTemplatePart, { kind: "text" }>;

const templateText = (part: Substitution): string =>
  part.kind === "var" ? `\${${part.name}}` : formatTemplateRef(part.ref);

/** Renders a compiled hook once; throws UNPROCESSABLE_ENTITY, naming the place, before sending. */
export function renderHookRequest(
  compiled: CompiledHookTemplate,
  context: HookRenderContext,
): RenderedHookRequest {
  const resolved = new Map<string, ResolvedSecret>();
  const secretsUsed: SecretUse[] = [];
  for (const ref of compiled.secrets) {
    const got = context.secret(ref);
    const secret = typeof got === "string" ? { value: got } : got;
    const written = formatTemplateRef(ref);
    resolved.set(written, secret);
    const use: SecretUse = { ref: written };
    if (secret.uri !== undefined) use.uri = secret.uri;
    if (secret.version !== undefined) use.version = secret.version;
    secretsUsed.push(use);
  }
  const valueOf = (part: Substitution): string =>
    part.kind === "var"
      ? (context.vars[part.name] ?? "")
      : resolved.get(formatTemplateRef(part.ref))!.value;

  const url = renderUrl(compiled.url, valueOf);
  const headers: Record<string, string> = {};
  for (const header of compiled.headers) {
    headers[header.name] = renderHeader(header.name, header.parts, valueOf);
  }
  const body = compiled.body === null ? null : renderBody(compiled.body, valueOf);
  const renderedValues = [...new Set([...resolved.values()].map((secret) => secret.value))];
  return { url, headers, body, renderedValues, secretsUsed };
}

function renderHeader(
  name: string,
  parts: readonly HookTemplatePart[],
  valueOf: (part: Substitution) => string,
): string {
  let out = "";
  for (const part of parts) {
    if (part.kind === "text") {
      out += part.text;
      continue;
    }
    const value = valueOf(part);
    if (HEADER_VALUE_FORBIDDEN_RE.test(value)) {
      throw unprocessable(
        `header "${name}" would hold ${FORBIDDEN_TEXT} from ${templateText(part)}; nothing was sent`,
        { field: `headers.${name}`, header: name, template: templateText(part) },
      );
    }
    out += value;
  }
  if (Buffer.byteLength(out) > MAX_HOOK_HEADER_VALUE_BYTES) {
    throw unprocessable(`header "${name}" would be longer than 8 KiB; nothing was sent`, {
      field: `headers.${name}`,
      header: name,
    });
  }
  return out;
}

function renderBody(
  parts: readonly HookTemplatePart[],
  valueOf: (part: Substitution) => string,
): string {
  const out = parts
    .map((part) => (part.kind === "text" ? part.text : jsonStringContent(valueOf(part))))
    .join("");
  if (Buffer.byteLength(out) > MAX_HOOK_RENDERED_BODY_BYTES) {
    throw unprocessable("body: longer than 1 MiB once rendered; nothing was sent", {
      field: "body",
    });
  }
  return out;
}
