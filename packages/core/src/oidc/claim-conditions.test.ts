import { describe, expect, it } from "vitest";
import {
  checkConditions,
  conditionsProblem,
  GITHUB_ISSUER,
  globMatches,
  isGitHubIssuer,
} from "./claim-conditions.js";

describe("globMatches", () => {
  it.each([
    ["acme/app", "acme/app", true],
    ["acme/app", "acme/app2", false],
    ["acme/*", "acme/app", true],
    ["acme/*", "acme/", true],
    ["acme/*", "acmex/app", false],
    ["refs/heads/release/*", "refs/heads/release/1.2", true],
    ["refs/heads/release/*", "refs/heads/main", false],
    ["repo:acme/*:ref:refs/heads/main", "repo:acme/app:ref:refs/heads/main", true],
    ["repo:acme/*:ref:refs/heads/main", "repo:acme/app:ref:refs/heads/dev", false],
    ["*", "", true],
    ["a*a", "a", false],
    ["a*a", "aa", true],
    ["*b*b*", "abxb", true],
    ["*b*b*", "ab", false],
    ["v?", "v1", false],
  ])("%s against %s is %s", (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });
});

describe("checkConditions", () => {
  const claims = { repository: "acme/app", ref: "refs/heads/main", run_attempt: 1, flag: true };

  it("passes when every claim matches one of its patterns", () => {
    expect(
      checkConditions({ repository: "acme/app", ref: ["refs/tags/*", "refs/heads/main"] }, claims),
    ).toEqual({ ok: true });
    expect(checkConditions({ run_attempt: "1", flag: "true" }, claims)).toEqual({ ok: true });
  });

  it("names the first claim that fails, and why", () => {
    expect(checkConditions({ repository: "acme/app", ref: "refs/tags/*" }, claims)).toEqual({
      ok: false,
      claim: "ref",
      reason: '"ref" is "refs/heads/main", which is not allowed',
    });
    expect(checkConditions({ environment: "prod" }, claims)).toEqual({
      ok: false,
      claim: "environment",
      reason: 'the token has no "environment" claim',
    });
    expect(checkConditions({ groups: "*" }, { groups: ["a"] })).toMatchObject({
      ok: false,
      reason: 'the token\'s "groups" claim is not a string',
    });
  });
});

describe("conditionsProblem", () => {
  const OTHER = "https://issuer.example.test";

  it("accepts a policy narrowed by one claim (any issuer)", () => {
    expect(conditionsProblem({ sub: "user-42" }, OTHER)).toBeUndefined();
    expect(conditionsProblem({ ref: "*", sub: "repo:acme/app:*" }, OTHER)).toBeUndefined();
  });

  it("refuses claims the exchange checks itself", () => {
    expect(conditionsProblem({ aud: "x", repository: "acme/app" }, OTHER)).toBe(
      '"aud" is checked by the exchange itself; it cannot be a condition',
    );
  });

  it("refuses conditions that match every token", () => {
    expect(conditionsProblem({ sub: "*" }, OTHER)).toMatch(
      /at least one condition that is not only `\*`/,
    );
    expect(conditionsProblem({ sub: ["user-1", "**"] }, OTHER)).toMatch(/at least one condition/);
  });

  it("for GitHub, needs a condition that pins the repository's owner", () => {
    const pinned = [
      { repository: "acme/app" },
      { repository: "acme/*" },
      { repository: ["acme/app", "acme/lib"], ref: "refs/heads/main" },
      { repository_owner: "acme" },
      { repository_id: "123456" },
      { repository_owner_id: "7890" },
      { workflow_ref: "acme/app/.github/workflows/deploy.yml@refs/heads/main" },
      { sub: "repo:acme/app:ref:refs/heads/main" },
      { sub: "repo:acme/*" },
    ];
    for (const conditions of pinned) {
      expect(
        conditionsProblem(conditions, GITHUB_ISSUER),
        JSON.stringify(conditions),
      ).toBeUndefined();
    }
    const open = [
      { ref: "refs/heads/main" },
      { workflow: "deploy", environment: "prod" },
      { event_name: "push" },
      { repository: "*/*" },
      { repository: "*" },
      { repository: "acme*/app" },
      { repository: ["acme/app", "*/app"] },
      { repository_owner: "acme*" },
      { sub: "repo:*" },
      { sub: "repo:*/app:ref:refs/heads/main" },
      { sub: "*:acme/app" },
      // A reusable workflow may be called from any repository: it pins nothing.
      { job_workflow_ref: "acme/shared/.github/workflows/deploy.yml@refs/heads/main" },
      { workflow_ref: "*/app/.github/workflows/deploy.yml@refs/heads/main" },
    ];
    for (const conditions of open) {
      expect(conditionsProblem(conditions, GITHUB_ISSUER), JSON.stringify(conditions)).toMatch(
        /^for GitHub's issuer, one condition must pin the repository's owner/,
      );
    }
  });

  it("applies GitHub's rule to GitHub Enterprise issuers too", () => {
    for (const issuer of [
      `${GITHUB_ISSUER}/acme-enterprise`,
      "https://github.acme.example/_services/token",
    ]) {
      expect(isGitHubIssuer(issuer)).toBe(true);
      expect(conditionsProblem({ ref: "refs/heads/main" }, issuer)).toMatch(/pin the repository/);
    }
    expect(isGitHubIssuer("https://token.actions.githubusercontent.com.evil.example")).toBe(false);
  });
});
