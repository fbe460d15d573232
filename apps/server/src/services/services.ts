/** The services, built once from the dependencies (the one place they are wired). */
import { AuditChain } from "../audit/audit-chain.js";
import { AuditWriter } from "../audit/audit-log.js";
import type { Deps } from "../deps.js";
import { AccessKeyService } from "./access-key-service.js";
import { AuditService } from "./audit-service.js";
import { GrantService } from "./grant-service.js";
import { KeyService } from "./key-service.js";
import { OidcExchangeService } from "./oidc-exchange-service.js";
import { PrincipalService } from "./principal-service.js";
import { SecretReader } from "./secret-reader.js";
import { SecretWriter } from "./secret-writer.js";
import { TokenService } from "./token-service.js";
import { TrustPolicyService } from "./trust-policy-service.js";

export interface Services {
  secretReader: SecretReader;
  secretWriter: SecretWriter;
  principals: PrincipalService;
  grants: GrantService;
  tokens: TokenService;
  accessKeys: AccessKeyService;
  trustPolicies: TrustPolicyService;
  oidc: OidcExchangeService;
  audit: AuditService;
  keys: KeyService;
  auditChain: AuditChain;
}

export function createServices(deps: Deps): Services {
  const auditChain = new AuditChain(deps);
  const auditWriter = new AuditWriter(deps);
  return {
    secretReader: new SecretReader(deps, auditWriter),
    secretWriter: new SecretWriter(deps),
    principals: new PrincipalService(deps),
    grants: new GrantService(deps),
    tokens: new TokenService(deps),
    accessKeys: new AccessKeyService(deps),
    trustPolicies: new TrustPolicyService(deps),
    oidc: new OidcExchangeService(deps),
    audit: new AuditService(deps, auditChain),
    keys: new KeyService(deps),
    auditChain,
  };
}
