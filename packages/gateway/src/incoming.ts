/**
 * References arriving in the request itself (SPEC §9): left alone unless an allow-list names
 * them. A pattern is a reference text whose `*` stands for any run of characters within one
 * path segment (or option value), escapes excluded (`%2F` is a `/` to a backend): `{vault://env/app-*}`
 * matches `{vault://env/app-db}`, never
 * `{vault://env/app/x}` nor `{vault://env/x?prefix=COFFER_}`. Patterns are compared with the
 * canonical identity of a found reference (escapes normalised, options sorted, cache keys
 * dropped), so a pattern must spell the version and options it allows.
 */
import {
  invalidRequest,
  parseVaultReference,
  ReferenceSyntaxError,
  referenceIdentity,
  VAULT_PREFIX,
  type FoundReference,
  type ParseOptions,
} from "@coffer/core";

/**
 * Stands for `*` while a pattern is parsed and formatted: lowercase letters are valid in every
 * part (an owner name is lowercase) and survive escaping untouched.
 */
const PLACEHOLDER = "zqstarqz";
const WITHIN_SEGMENT = "[^/?#}%]*";

const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

/** Compiles the allow-list; a pattern that is not a reference (with `*` as a letter) throws. */
export function compileAllowList(patterns: readonly string[], options: ParseOptions): RegExp[] {
  return patterns.map((pattern) => {
    let canonical: string;
    try {
      // Checked with `*` as one letter, so that the error's position is the pattern's.
      parseVaultReference(pattern.replaceAll("*", "a"), options);
      const stand = pattern.replaceAll("*", PLACEHOLDER);
      canonical = referenceIdentity(parseVaultReference(stand, options), options);
    } catch (error) {
      if (error instanceof ReferenceSyntaxError) {
        const again = new ReferenceSyntaxError(error.reason, pattern, error.position);
        throw invalidRequest(`incoming.allow: ${again.message}`, again.details);
      }
      throw error;
    }
    const source = canonical.split(PLACEHOLDER).map(escapeRegExp).join(WITHIN_SEGMENT);
    return new RegExp(`^${source}$`);
  });
}

/**
 * The well-formed references in `text` that the allow-list admits, in order, with their
 * identities. Malformed or unknown ones are skipped: incoming text is data, not configuration.
 */
export function findAllowed(
  text: string,
  allow: readonly RegExp[],
  options: ParseOptions,
): { found: FoundReference; id: string }[] | undefined {
  let out: { found: FoundReference; id: string }[] | undefined;
  let from = 0;
  for (;;) {
    const start = text.indexOf(VAULT_PREFIX, from);
    if (start === -1) return out;
    const close = text.indexOf("}", start);
    if (close === -1) return out;
    let found: FoundReference;
    let id: string;
    try {
      const reference = parseVaultReference(text.slice(start, close + 1), options);
      found = { start, end: close + 1, reference };
      id = referenceIdentity(reference, options);
    } catch {
      // A malformed reference stays as it is; one may start inside it (`{vault://x {vault://…}`).
      from = start + 1;
      continue;
    }
    from = close + 1;
    if (allow.some((re) => re.test(id))) (out ??= []).push({ found, id });
  }
}
