/**
 * Templates for webhook payloads and config files (SPEC §6.3): `${NAME}`, `${OWNER/NAME}`,
 * `${OWNER/NAME/KEY}`; `$${` is a literal `${`. There is no way to write a literal `$`
 * directly before a reference (as in Terraform); formatTemplate refuses such a sequence.
 */
import { MAX_JSON_KEY_LENGTH, PRINCIPAL_NAME_RE, SECRET_NAME_RE } from "../model/limits.js";
import { ReferenceSyntaxError } from "./reference-error.js";
import type { VaultReference } from "./vault-reference.js";

export interface TemplateRef {
  owner?: string;
  name: string;
  key?: string;
}

export type TemplatePart = { kind: "text"; text: string } | { kind: "ref"; ref: TemplateRef };

const MAX_TEMPLATE_LENGTH = 1024 * 1024;

export function parseTemplate(text: string): TemplatePart[] {
  return scanTemplate(text, (whole): TemplatePart => ({
    kind: "ref",
    ref: readTemplateRef(whole),
  }));
}

/**
 * The scanner under parseTemplate and the hooks' grammar (hooks/hook-template.ts): literal
 * text, `$${` as a literal `${`, and each `${…}` (closing brace included) handed to `read`.
 */
export function scanTemplate<P>(
  text: string,
  read: (whole: string) => P,
): ({ kind: "text"; text: string } | P)[] {
  if (text.length > MAX_TEMPLATE_LENGTH)
    throw new ReferenceSyntaxError("template longer than 1 MiB", "", 0);
  const parts: ({ kind: "text"; text: string } | P)[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      literal += "${";
      i += 3;
    } else if (text.startsWith("${", i)) {
      const close = text.indexOf("}", i + 2);
      if (close === -1)
        throw new ReferenceSyntaxError('"${" is never closed by "}"', text.slice(i), 0);
      const part = read(text.slice(i, close + 1));
      if (literal !== "") parts.push({ kind: "text", text: literal });
      literal = "";
      parts.push(part);
      i = close + 1;
    } else {
      const next = text.indexOf("$", i + 1);
      const end = next === -1 ? text.length : next;
      literal += text.slice(i, end);
      i = end;
    }
  }
  if (literal !== "") parts.push({ kind: "text", text: literal });
  return parts;
}

/** Reads one `${…}` (braces included) as a reference, or says where and why it is wrong. */
export function readTemplateRef(whole: string): TemplateRef {
  const body = whole.slice(2, -1);
  const segments = body.split("/");
  if (body === "" || segments.length > 3) {
    throw new ReferenceSyntaxError(
      "a template reference is ${NAME}, ${OWNER/NAME} or ${OWNER/NAME/KEY}",
      whole,
      2,
    );
  }
  const [first, second, key] = segments as [string, string?, string?];
  const name = second ?? first;
  if (second !== undefined && !PRINCIPAL_NAME_RE.test(first)) {
    throw new ReferenceSyntaxError(
      `owner "${first.slice(0, 40)}" is not a user or team name`,
      whole,
      2,
    );
  }
  if (!SECRET_NAME_RE.test(name)) {
    const at = second === undefined ? 2 : 3 + first.length;
    throw new ReferenceSyntaxError(`"${name.slice(0, 130)}" is not a secret name`, whole, at);
  }
  if (key !== undefined && (key === "" || key.length > MAX_JSON_KEY_LENGTH)) {
    throw new ReferenceSyntaxError(
      `a key is 1 to ${MAX_JSON_KEY_LENGTH} characters`,
      whole,
      whole.length - 1 - key.length,
    );
  }
  if (key !== undefined && !key.isWellFormed()) {
    throw new ReferenceSyntaxError(
      "a key must be well-formed Unicode text",
      whole,
      whole.length - 1 - key.length,
    );
  }
  const ref: TemplateRef = { name };
  if (second !== undefined) ref.owner = first;
  if (key !== undefined) ref.key = key;
  return ref;
}

export function formatTemplateRef(ref: TemplateRef): string {
  if (ref.key !== undefined && ref.owner === undefined) {
    throw new ReferenceSyntaxError("a template key needs ${OWNER/NAME/KEY}", ref.name, 0);
  }
  if (ref.key !== undefined && (/[/}]/.test(ref.key) || !ref.key.isWellFormed())) {
    throw new ReferenceSyntaxError('a template key is Unicode text without "/" or "}"', ref.key, 0);
  }
  const owner = ref.owner !== undefined ? `${ref.owner}/` : "";
  const key = ref.key !== undefined ? `/${ref.key}` : "";
  return `\${${owner}${ref.name}${key}}`;
}

/** The inverse of parseTemplate; literal `${` is written `$${`. */
export function formatTemplate(parts: readonly TemplatePart[]): string {
  let out = "";
  parts.forEach((part, i) => {
    if (part.kind === "ref") {
      out += formatTemplateRef(part.ref);
      return;
    }
    if (part.text.endsWith("$") && parts[i + 1]?.kind === "ref") {
      throw new ReferenceSyntaxError(
        'a literal "$" cannot stand right before a reference',
        part.text,
        part.text.length - 1,
      );
    }
    // A function, because "$$" in a replacement string means one "$".
    out += part.text.replaceAll("${", () => "$${");
  });
  return out;
}

/** The coffer vault reference a template reference stands for. */
export function templateToVaultReference(ref: TemplateRef): VaultReference {
  const resource = ref.owner !== undefined ? [ref.owner, ref.name] : [ref.name];
  const reference: VaultReference = { backend: "coffer", resource, options: {}, cache: {} };
  return ref.key !== undefined ? { ...reference, key: ref.key } : reference;
}
