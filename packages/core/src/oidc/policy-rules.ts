/**
 * Every rule a trust policy must meet beyond its schema, in one place: checked when a policy
 * is made and again at each exchange (a policy stored under older rules issues nothing). Pure.
 *
 * - the issuer is an https URL (http on loopback only);
 * - the conditions narrow (see conditionsProblem);
 * - the scopes name secrets, at most `write`: an exchanged token reads and writes secrets; it
 *   never administers (`*`) and never manages (`manage` would let it share, delete, or change
 *   protection keys, and a grant it made would outlive it).
 */
import type { TokenScope } from "../model/types.js";
import { conditionsProblem, type ClaimConditions } from "./claim-conditions.js";
import { issuerUrlProblem } from "./issuer-url.js";

export interface TrustPolicyRules {
  issuer: string;
  conditions: ClaimConditions;
  scopes: readonly TokenScope[];
}

/** What is wrong with a policy, as `field: reason`, or undefined when it is acceptable. */
export function trustPolicyProblem(policy: TrustPolicyRules): string | undefined {
  const issuer = issuerUrlProblem(policy.issuer);
  if (issuer !== undefined) return `issuer: ${issuer}`;
  const conditions = conditionsProblem(policy.conditions, policy.issuer);
  if (conditions !== undefined) return `conditions: ${conditions}`;
  if (policy.scopes.some((scope) => scope.resource === "*")) {
    return "scopes: name secrets (secret://ORG/OWNER/* or secret://ORG/OWNER/NAME), not `*`: an exchanged token uses secrets, it never administers";
  }
  if (policy.scopes.some((scope) => scope.level === "manage")) {
    return "scopes: at most write: an exchanged token reads and writes secrets, it never manages them (sharing, deleting)";
  }
  return undefined;
}
