/**
 * The stores, built once (the one place they are wired). Each store is the only module that
 * names its tables; services receive the few stores they use (`Pick<Stores, ...>`). A new
 * aggregate (rotation jobs, webhooks, console sessions) adds a store module in stores/ and a
 * line here.
 */
import { AuditStore } from "../audit/audit-store.js";
import type { Deps } from "../deps.js";
import { credentialStore, type CredentialStore } from "./credential-store.js";
import { deliveryStore, type DeliveryStore } from "./delivery-store.js";
import { hookStore, type HookStore } from "./hook-store.js";
import { jobStore, type JobStore } from "./job-store.js";
import { orgStore, type OrgStore, type ProtectionKeyStore } from "./key-store.js";
import {
  grantStore,
  principalStore,
  type GrantStore,
  type PrincipalStore,
} from "./principal-store.js";
import { rotationJobStore, type RotationJobStore } from "./rotation-job-store.js";
import { rotationStore, type RotationStore } from "./rotation-store.js";
import { secretStore, type SecretStore } from "./secret-store.js";
import { sessionStore, type SessionStore } from "./session-store.js";
import { trustPolicyStore, type TrustPolicyStore } from "./trust-policy-store.js";

export interface Stores {
  /** secrets, secret_versions */
  secrets: SecretStore;
  /** principals, team_members */
  principals: PrincipalStore;
  /** grants */
  grants: GrantStore;
  /** tokens, access_keys, signature_replays */
  credentials: CredentialStore;
  /** audit_events, audit_chain_head (home: audit/) */
  audit: AuditStore;
  /** job_runs */
  jobs: JobStore;
  /** protection_keys (with the keyring's cache) */
  keys: ProtectionKeyStore;
  /** org */
  org: OrgStore;
  /** oidc_trust_policies */
  trustPolicies: TrustPolicyStore;
  /** rotators, rotation_policies */
  rotation: RotationStore;
  /** rotation_jobs, rotation_job_steps */
  rotationJobs: RotationJobStore;
  /** hooks, automations */
  hooks: HookStore;
  /** hook_outbox, hook_events, hook_deliveries, hook_delivery_attempts */
  deliveries: DeliveryStore;
  /** console_sessions */
  sessions: SessionStore;
}

export function createStores(deps: Pick<Deps, "db" | "keyring" | "protectionKeys">): Stores {
  return {
    secrets: secretStore,
    principals: principalStore,
    grants: grantStore,
    credentials: credentialStore,
    audit: new AuditStore(deps),
    jobs: jobStore,
    keys: deps.protectionKeys,
    org: orgStore,
    trustPolicies: trustPolicyStore,
    rotation: rotationStore,
    rotationJobs: rotationJobStore,
    hooks: hookStore,
    deliveries: deliveryStore,
    sessions: sessionStore,
  };
}
