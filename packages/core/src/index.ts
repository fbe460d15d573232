/** @coffer/core: the pure model, schemas, crypto, ACL and references every Coffer part shares. */
export * from "./errors.js";
export { safeErrorCode } from "./error-code.js";
export * from "./model/limits.js";
export * from "./model/types.js";
export * from "./schemas.js";
export * from "./validation.js";
export { closestName, editDistance } from "./did-you-mean.js";

export * from "./crypto/access-key.js";
export * from "./crypto/envelope.js";
export * from "./crypto/keyring.js";
export * from "./crypto/random-secret.js";
export * from "./crypto/tokens.js";
export { BASE62, randomString } from "./crypto/random-string.js";

export * from "./acl/decide.js";
export * from "./acl/levels.js";

export * from "./oidc/claim-conditions.js";
export * from "./oidc/issuer-url.js";
export * from "./oidc/policy-rules.js";

export * from "./references/env-backend-rules.js";
export * from "./references/env-names.js";
export * from "./references/find-references.js";
export * from "./references/json-key.js";
export * from "./references/lookalikes.js";
export * from "./references/reference-error.js";
export * from "./references/resolve.js";
export * from "./references/reveal-item.js";
export * from "./references/secret-uri.js";
export * from "./references/template.js";
export * from "./references/vault-reference.js";

export * from "./api/audit.js";
export * from "./api/changes.js";
export * from "./api/common.js";
export * from "./api/gateway.js";
export * from "./api/gateway-config.js";
export * from "./api/grants.js";
export * from "./api/oidc.js";
export * from "./api/principals.js";
export * from "./api/secrets.js";
export * from "./api/tokens.js";
export * from "./api/sessions.js";
export * from "./api/rotation.js";
export * from "./api/hooks.js";

export * from "./rotation/backoff.js";
export * from "./rotation/job-machine.js";
export * from "./rotation/schedule.js";

export * from "./webhooks/standard-webhooks.js";

export * from "./hooks/hook-template.js";
export { jsonStringContent } from "./hooks/json-body.js";
export * from "./hooks/redact.js";
export * from "./hooks/template.js";
export * from "./hooks/url-template.js";
