/**
 * The template grammar of hooks (SPEC §12): core's templates (§6.3: `${NAME}`, `${OWNER/NAME}`,
 * `${OWNER/NAME/KEY}`, `$${` a literal `${`) plus event variables such as `${event.type}`.
 *
 * The variables live in a dotted namespace no secret can take: a reference's parts are
 * PRINCIPAL_NAME_RE (`[a-z][a-z0-9-]*`) and SECRET_NAME_RE (`[A-Za-z_][A-Za-z0-9_-]*`), and
 * neither allows a `.`, so `${event.type}` can never name a secret, and no secret created
 * later can change what a saved hook means. Anything else inside `${…}` parses exactly as
 * parseTemplate parses it, with the same errors.
 */
import { closestName } from "../did-you-mean.js";
import { ReferenceSyntaxError } from "../references/reference-error.js";
import { readTemplateRef, scanTemplate, type TemplateRef } from "../references/template.js";

export const HOOK_VARIABLES = [
  "event.type",
  "event.id",
  "event.time",
  "secret.uri",
  "secret.version",
  "token.name",
  "token.expiresAt",
  "hook.name",
] as const;
export type HookVariable = (typeof HOOK_VARIABLES)[number];

export type HookTemplatePart =
  | { kind: "text"; text: string }
  | { kind: "ref"; ref: TemplateRef }
  | { kind: "var"; name: HookVariable };

/** What makes `${…}` a variable rather than a reference: a dot (which no name can hold). */
const DOTTED_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;

function readVariable(whole: string): HookVariable {
  const name = whole.slice(2, -1);
  if ((HOOK_VARIABLES as readonly string[]).includes(name)) return name as HookVariable;
  const guess = closestName(name, HOOK_VARIABLES);
  const hint = guess !== undefined ? `; did you mean \${${guess}}?` : "";
  throw new ReferenceSyntaxError(
    `"${name.slice(0, 40)}" is not an event variable (${HOOK_VARIABLES.join(", ")})${hint}`,
    whole,
    2,
  );
}

/** Parses one hook template; a bad reference or variable is a ReferenceSyntaxError. */
export function parseHookTemplate(text: string): HookTemplatePart[] {
  return scanTemplate(text, (whole): HookTemplatePart =>
    DOTTED_RE.test(whole.slice(2, -1))
      ? { kind: "var", name: readVariable(whole) }
      : { kind: "ref", ref: readTemplateRef(whole) },
  );
}
