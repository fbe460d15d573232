/**
 * Pure helpers of the hook form: headers as text lines, lists, the URL's origin, and the
 * update a changed form sends (only what changed; SPEC §12's host rule kept).
 */
import type { CreateHookInput, HookEventType, HookView, UpdateHookInput } from "@coffer/core";

/** HOOK_EVENT_TYPES of core in words: a Record, so a type core adds fails the typecheck here. */
export const eventText: Record<HookEventType, string> = {
  "secret.created": "A secret is created",
  "secret.version.created": "A new version is written",
  "secret.promoted": "Stages move (rotation, rollback)",
  "secret.disabled": "A secret is disabled",
  "secret.enabled": "A secret is enabled",
  "secret.deletion_scheduled": "A deletion is scheduled",
  "secret.deleted": "A secret is deleted",
  "secret.restored": "A secret is restored",
  "rotation.succeeded": "A rotation succeeds",
  "rotation.failed": "A rotation fails",
  "rotation.missed": "A rotation window is missed",
  "token.expiring": "A token expires in 3 days",
  "token.expired": "A token expired",
  "audit.verify_failed": "The audit log fails its verify",
  "hook.disabled": "A hook is disabled",
};
export const eventTypes = Object.keys(eventText) as HookEventType[];

/** `{K: V}` as lines `K: V`. */
export function headersText(headers: Readonly<Record<string, string>>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}

/** Lines `K: V` (blank lines skipped) as `{K: V}`, or the first line that is not one. */
export function parseHeaders(
  text: string,
): { headers: Record<string, string>; error: null } | { headers: null; error: string } {
  const headers: Record<string, string> = {};
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon).trim();
    if (name === "" || /\s/.test(name)) {
      return { headers: null, error: `Line ${i + 1} is not "Name: value".` };
    }
    if (name in headers) return { headers: null, error: `Header ${name} is there twice.` };
    headers[name] = line.slice(colon + 1).trim();
  }
  return { headers, error: null };
}

/** Items separated by commas or lines, blanks dropped, each once. */
export function splitItems(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[,\n]/)
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ),
  ];
}

/** The scheme, host and port of a hook URL (never templated), or the URL when it is no URL. */
export function originOf(url: string): string {
  try {
    return new URL(url.trim()).origin;
  } catch {
    return url.trim();
  }
}

/** What the hook form holds (text as typed). */
export interface HookFormFields {
  description: string;
  url: string;
  headers: string;
  body: string;
  allowSecrets: string;
  signingSecret: string;
}

export function formFields(hook: HookView | undefined): HookFormFields {
  return {
    description: hook?.description ?? "",
    url: hook?.url ?? "",
    headers: headersText(hook?.headers ?? {}),
    body: hook?.body ?? "",
    allowSecrets: (hook?.allowSecrets ?? []).join("\n"),
    signingSecret: hook?.signingSecret ?? "",
  };
}

/** A new hook's request: the optional fields only when given. */
export function createInput(
  owner: string,
  name: string,
  f: HookFormFields,
  headers: Record<string, string>,
): CreateHookInput {
  const input: CreateHookInput = { owner, name, url: f.url.trim() };
  if (f.description.trim() !== "") input.description = f.description.trim();
  if (Object.keys(headers).length > 0) input.headers = headers;
  if (f.body.trim() !== "") input.body = f.body;
  const allow = splitItems(f.allowSecrets);
  if (allow.length > 0) input.allowSecrets = allow;
  if (f.signingSecret.trim() !== "") input.signingSecret = f.signingSecret.trim();
  return input;
}

/**
 * An update with only the fields that changed. A new origin clears the allowed secrets on the
 * server unless the call gives them (SPEC §12: a secret never follows a hook to a new host
 * unless someone says so), so with a new origin they are sent only when the form lists some:
 * the form empties the list when the origin changes, and what is there was typed again.
 */
export function updateInput(
  hook: HookView,
  f: HookFormFields,
  headers: Record<string, string>,
): UpdateHookInput {
  const before = formFields(hook);
  const input: UpdateHookInput = { hook: hook.ref };
  if (f.description.trim() !== before.description) input.description = f.description.trim();
  const url = f.url.trim();
  if (url !== hook.url) input.url = url;
  if (headersText(headers) !== before.headers) input.headers = headers;
  if (f.body !== before.body) input.body = f.body.trim() === "" ? null : f.body;
  const allow = splitItems(f.allowSecrets);
  const moved = originOf(url) !== originOf(hook.url);
  if (moved ? allow.length > 0 : allow.join("\n") !== before.allowSecrets) {
    input.allowSecrets = allow;
  }
  const signing = f.signingSecret.trim();
  if (signing !== "" && signing !== hook.signingSecret) input.signingSecret = signing;
  return input;
}
