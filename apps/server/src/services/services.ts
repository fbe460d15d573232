/**
 * The services, built once from the dependencies and the stores (the one place they are
 * wired): each receives the few stores and dependencies it uses.
 */
import { AuditChain } from "../audit/audit-chain.js";
import type { Deps } from "../deps.js";
import type { Stores } from "../stores/stores.js";
import { AccessKeyService } from "./access-key-service.js";
import { AuditService } from "./audit-service.js";
import { GrantService } from "./grant-service.js";
import { KeyService } from "./key-service.js";
import { OidcExchangeService } from "./oidc-exchange-service.js";
import { PrincipalService } from "./principal-service.js";
import { RotationJobCallbacks } from "./rotation-job-callbacks.js";
import { RotationJobEngine, type RotationEngineOptions } from "./rotation-job-engine.js";
import { RotationJobService } from "./rotation-job-service.js";
import { RotationPolicyService } from "./rotation-policy-service.js";
import { RotatorService } from "./rotator-service.js";
import { SecretReader } from "./secret-reader.js";
import { SecretWriter } from "./secret-writer.js";
import { TokenService } from "./token-service.js";
import { TrustPolicyService } from "./trust-policy-service.js";
import { HookAttempts } from "../hooks/hook-attempt.js";
import type { WebhookClient } from "../webhooks/outbound.js";
import { createWebhookClient } from "../webhooks/outbound.js";
import { DeliveryService } from "./delivery-service.js";
import { HookService } from "./hook-service.js";
import { SessionService } from "./session-service.js";

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
  rotators: RotatorService;
  rotationPolicies: RotationPolicyService;
  /** Runs rotation jobs' steps (the executor and `rotation.cancel` use it). */
  rotationEngine: RotationJobEngine;
  rotationJobs: RotationJobService;
  /** The rotator's side of a job (rotation.job.*, job tokens). */
  rotationCallbacks: RotationJobCallbacks;
  auditChain: AuditChain;
  hooks: HookService;
  deliveries: DeliveryService;
  /** One attempt of a hook delivery (the hook worker and `hook.test` use it). */
  hookAttempts: HookAttempts;
  /** Web console sessions (SPEC §13). */
  sessions: SessionService;
}

export interface HookOptions {
  /** The outbound client (default: one refusing private addresses but COFFER_HOOK_ALLOW_CIDRS). */
  client?: WebhookClient;
  /** The retry jitter's source, in [0, 1) (tests fix it). */
  random?: () => number;
}

export function createServices(
  deps: Deps,
  stores: Stores,
  rotation: RotationEngineOptions = {},
  hookOptions: HookOptions = {},
): Services {
  const auditChain = new AuditChain(deps);
  const rotationEngine = new RotationJobEngine(deps, stores, rotation);
  const secretWriter = new SecretWriter(deps, stores, rotationEngine);
  const secretReader = new SecretReader(deps, stores);
  const hooks = new HookService(deps, stores, secretWriter);
  const hookAttempts = new HookAttempts(
    deps,
    stores,
    secretReader,
    hookOptions.client ?? createWebhookClient({ allowCidrs: deps.config.hookAllowCidrs }),
    hookOptions.random,
  );
  return {
    secretReader,
    secretWriter,
    principals: new PrincipalService(deps, stores),
    grants: new GrantService(deps, stores),
    tokens: new TokenService(deps, stores),
    accessKeys: new AccessKeyService(deps, stores),
    trustPolicies: new TrustPolicyService(deps, stores),
    oidc: new OidcExchangeService(deps, stores),
    audit: new AuditService(deps, stores, auditChain),
    keys: new KeyService(deps, stores),
    rotators: new RotatorService(deps, stores, secretWriter),
    rotationPolicies: new RotationPolicyService(deps, stores),
    rotationEngine,
    rotationJobs: new RotationJobService(deps, stores, rotationEngine),
    rotationCallbacks: new RotationJobCallbacks(deps, stores, rotationEngine),
    auditChain,
    hooks,
    deliveries: new DeliveryService(deps, stores, hooks, hookAttempts),
    hookAttempts,
    sessions: new SessionService(deps, stores),
  };
}
