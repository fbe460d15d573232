/**
 * Conditions of an OIDC trust policy on the claims of an ID token (SPEC §4): each names a claim
 * and one or more patterns; the claim must match at least one. A pattern is an exact value in
 * which `*` stands for any run of characters, `/` and `:` included (as Vault's glob bound
 * claims): `acme/*`, `refs/heads/release/*`, `repo:acme/app:environment:prod`.
 *
 * Claims that the exchange checks itself (`iss`, `aud`, `exp`, `nbf`, `iat`) cannot be
 * conditions; a policy needs at least one condition that is not only `*` (a policy on an
 * issuer alone would trust every repository on GitHub). Pure.
 */

export type ClaimConditions = Readonly<Record<string, string | readonly string[]>>;

export type ConditionCheck = { ok: true } | { ok: false; claim: string; reason: string };

/** Checked by the exchange itself, never by a condition. */
export const RESERVED_CLAIMS: readonly string[] = ["iss", "aud", "exp", "nbf", "iat"];

const patternsOf = (condition: string | readonly string[]): readonly string[] =>
  typeof condition === "string" ? [condition] : condition;

/** Whether `value` matches `pattern`, where `*` is any run of characters (none included). */
export function globMatches(pattern: string, value: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === value;
  const first = parts[0]!;
  const last = parts.at(-1)!;
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = value.indexOf(middle, at);
    if (found === -1 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/** A claim's value as conditions compare it: strings as they are, numbers and booleans as text. */
function claimText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** Every condition against the claims; the first that fails is named, with its claim's value. */
export function checkConditions(
  conditions: ClaimConditions,
  claims: Readonly<Record<string, unknown>>,
): ConditionCheck {
  for (const [claim, condition] of Object.entries(conditions)) {
    const value = claimText(claims[claim]);
    if (value === undefined) {
      return {
        ok: false,
        claim,
        reason:
          claims[claim] === undefined
            ? `the token has no "${claim}" claim`
            : `the token's "${claim}" claim is not a string`,
      };
    }
    if (!patternsOf(condition).some((pattern) => globMatches(pattern, value))) {
      return {
        ok: false,
        claim,
        reason: `"${claim}" is ${JSON.stringify(value)}, which is not allowed`,
      };
    }
  }
  return { ok: true };
}

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * GitHub's issuers: github.com's (also with an enterprise's own path after it) and GitHub
 * Enterprise Server's (`https://HOST/_services/token`).
 */
export function isGitHubIssuer(issuer: string): boolean {
  return (
    issuer === GITHUB_ISSUER ||
    issuer.startsWith(`${GITHUB_ISSUER}/`) ||
    /^https:\/\/[^/]+\/_services\/token$/.test(issuer)
  );
}

/**
 * GitHub's claims that pin the calling repository's owner, and the part of each pattern that
 * must be written out (no `*` in it): `acme/*` pins owner acme; `*` or `*-app` pin nothing.
 * `sub` is `repo:OWNER/REPO:…` (unless an org customised it; then use the ids). `workflow_ref`
 * names the calling workflow (`acme/app/.github/workflows/x.yml@ref`). Not `job_workflow_ref`:
 * it names a reusable workflow, which any repository may call. A condition on `ref`,
 * `workflow` or `environment` alone would trust every repository that has such a branch,
 * workflow or environment. Owners are compared as written (GitHub's claims carry the login's
 * own case); the `_id` claims also survive a renamed owner whose name someone else takes.
 */
const GITHUB_OWNER_PINS: Readonly<Record<string, RegExp>> = {
  repository: /^[^*/]+\//,
  repository_owner: /^[^*]+$/,
  repository_id: /^[^*]+$/,
  repository_owner_id: /^[^*]+$/,
  workflow_ref: /^[^*/]+\//,
  sub: /^repo:[^*/:]+\//,
};

const pinsOwner = (claim: string, condition: string | readonly string[]): boolean => {
  const pin = GITHUB_OWNER_PINS[claim];
  return pin !== undefined && patternsOf(condition).every((pattern) => pin.test(pattern));
};

/**
 * What is wrong with a policy's conditions as a whole, or undefined when they are acceptable.
 * Any issuer: no reserved claim, and one condition that is not only `*`. GitHub's issuer: one
 * condition that pins the repository's owner (see GITHUB_OWNER_PINS).
 */
export function conditionsProblem(conditions: ClaimConditions, issuer: string): string | undefined {
  const names = Object.keys(conditions);
  const reserved = names.find((name) => RESERVED_CLAIMS.includes(name));
  if (reserved !== undefined) {
    return `"${reserved}" is checked by the exchange itself; it cannot be a condition`;
  }
  if (isGitHubIssuer(issuer)) {
    if (names.some((name) => pinsOwner(name, conditions[name]!))) return undefined;
    return (
      "for GitHub's issuer, one condition must pin the repository's owner: repository " +
      "(acme/app or acme/*), repository_owner, repository_id, repository_owner_id, " +
      "workflow_ref (acme/…) or sub (repo:acme/…); otherwise every repository on GitHub " +
      "could sign in"
    );
  }
  const narrowing = names.filter((name) =>
    patternsOf(conditions[name]!).every((pattern) => pattern.replaceAll("*", "") !== ""),
  );
  if (narrowing.length === 0) {
    return "give at least one condition that is not only `*` (such as sub)";
  }
  return undefined;
}
