import { describe, expect, it } from "vitest";
import { GITHUB_ISSUER } from "./claim-conditions.js";
import { trustPolicyProblem, type TrustPolicyRules } from "./policy-rules.js";

const good: TrustPolicyRules = {
  issuer: GITHUB_ISSUER,
  conditions: { repository: "acme/app" },
  scopes: [{ resource: "secret://default/ml/*", level: "write" }],
};

describe("trustPolicyProblem", () => {
  it("accepts a narrowed policy on secrets, up to write", () => {
    expect(trustPolicyProblem(good)).toBeUndefined();
  });

  it("names the field and the reason of the first problem", () => {
    expect(trustPolicyProblem({ ...good, issuer: "http://issuer.example.com" })).toMatch(
      /^issuer: the URL must be https/,
    );
    expect(trustPolicyProblem({ ...good, conditions: { ref: "refs/heads/main" } })).toMatch(
      /^conditions: for GitHub's issuer/,
    );
    expect(trustPolicyProblem({ ...good, scopes: [{ resource: "*", level: "read" }] })).toMatch(
      /^scopes: name secrets .* not `\*`/,
    );
    expect(
      trustPolicyProblem({
        ...good,
        scopes: [{ resource: "secret://default/ml/*", level: "manage" }],
      }),
    ).toMatch(/^scopes: at most write/);
  });
});
