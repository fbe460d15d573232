/**
 * A hook's body: JSON text whose templates stand only inside JSON strings (keys or values), so
 * that a rendered value, JSON-escaped, can only ever be string data (SPEC §12).
 */
import { invalidRequest } from "../errors.js";
import { parseHookTemplate, type HookTemplatePart } from "./hook-template.js";

/** The `${…}` starting at `at` (inside a JSON string) must end before the string does. */
function checkInsideString(text: string, at: number): number {
  const close = text.indexOf("}", at + 2);
  const end = close === -1 ? text.length : close;
  // eslint-disable-next-line no-control-regex
  const broken = /["\\\u0000-\u001f]/.exec(text.slice(at + 2, end));
  if (broken !== null || close === -1) {
    throw invalidRequest(
      `body: the template at character ${at + 1} must end with "}" inside its JSON string`,
      { field: "body", position: at },
    );
  }
  return close + 1;
}

function refuseOutsideString(at: number): never {
  throw invalidRequest(
    `body: a template may stand only inside a JSON string (keys or values), not at character ${at + 1}`,
    { field: "body", position: at },
  );
}

/** Checks where the templates stand; the JSON itself is checked on the skeleton afterwards. */
function checkTemplatePlaces(text: string): void {
  let inString = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (text.startsWith("$${", i)) {
      if (!inString) refuseOutsideString(i);
      i += 3;
    } else if (text.startsWith("${", i)) {
      if (!inString) refuseOutsideString(i);
      i = checkInsideString(text, i);
    } else if (inString && c === "\\") {
      // "\$" is no JSON escape; refused here so that no template can follow a lone backslash.
      if (text[i + 1] === "$") throw invalidRequest("body: not valid JSON", { field: "body" });
      i += 2;
    } else {
      if (c === '"') inString = !inString;
      i += 1;
    }
  }
}

/**
 * Parses a body template: templates only inside JSON strings, and valid JSON once each template
 * is set aside. Errors give positions, never the body's text (it may hold other credentials).
 */
export function parseJsonBodyTemplate(text: string): HookTemplatePart[] {
  checkTemplatePlaces(text);
  const parts = parseHookTemplate(text);
  const skeleton = parts.map((part) => (part.kind === "text" ? part.text : "")).join("");
  try {
    JSON.parse(skeleton);
  } catch {
    throw invalidRequest("body: not valid JSON (templates set aside)", { field: "body" });
  }
  return parts;
}

/** A value as it stands inside a JSON string: quotes, backslashes and controls escaped. */
export function jsonStringContent(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
