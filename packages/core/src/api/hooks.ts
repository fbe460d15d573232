/**
 * Request schemas and response types of hooks and automations (SPEC §12): hooks (templated
 * outbound requests), automations (events + a resource pattern → a hook), deliveries and
 * `secret.usedBy`. Templates are checked further by compileHookTemplate (hooks/template.ts);
 * the schemas bound sizes and shapes only. No response carries a rendered value.
 */
import { PRINCIPAL_NAME_SOURCE, SECRET_NAME_SOURCE } from "../model/limits.js";
import { descriptionSchema, principalNameSchema, scopeResourceSchema } from "../schemas.js";
import {
  MAX_HOOK_BODY_BYTES,
  MAX_HOOK_HEADER_VALUE_BYTES,
  MAX_HOOK_HEADERS,
} from "../hooks/template.js";
import { MAX_HOOK_URL_LENGTH } from "../hooks/url-template.js";
import { compileSchema } from "../validation.js";
import { objectSchema, pageSchema, secretRefSchema } from "./common.js";

export const HOOK_EVENT_TYPES = [
  "secret.created",
  "secret.version.created",
  "secret.promoted",
  "secret.disabled",
  "secret.enabled",
  "secret.deletion_scheduled",
  "secret.deleted",
  "secret.restored",
  "rotation.succeeded",
  "rotation.failed",
  "rotation.missed",
  "token.expiring",
  "token.expired",
  "audit.verify_failed",
  "hook.disabled",
] as const;
export type HookEventType = (typeof HOOK_EVENT_TYPES)[number];

export const MAX_HOOK_ALLOWED_SECRETS = 32;
export const DELIVERY_STATES = ["pending", "delivered", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** A hook or automation as people name it: `NAME` (the caller's own) or `OWNER/NAME`. */
const ownedRefSchema = {
  type: "string",
  pattern: `^(${PRINCIPAL_NAME_SOURCE}/)?${SECRET_NAME_SOURCE}$`,
  maxLength: 168,
} as const;
const ownedNameSchema = {
  type: "string",
  pattern: `^${SECRET_NAME_SOURCE}$`,
  maxLength: 128,
} as const;
export const deliveryIdSchema = { type: "string", pattern: "^dlv_[0-9A-Za-z]{16}$" } as const;
const eventTypeSchema = { type: "string", enum: [...HOOK_EVENT_TYPES] } as const;

/** Bounds only: compileHookTemplate checks the scheme, the templates' places and the JSON. */
const urlSchema = { type: "string", minLength: 8, maxLength: MAX_HOOK_URL_LENGTH } as const;
const headersSchema = {
  type: "object",
  maxProperties: MAX_HOOK_HEADERS,
  propertyNames: { type: "string", minLength: 1, maxLength: 256 },
  additionalProperties: { type: "string", maxLength: MAX_HOOK_HEADER_VALUE_BYTES },
} as const;
/** JSON text with templates inside its strings (a template is not JSON, so this is text). */
const bodySchema = { type: "string", minLength: 1, maxLength: MAX_HOOK_BODY_BYTES } as const;
/**
 * The secrets a hook may render: `NAME`, `OWNER/NAME`, `OWNER/*` or the full
 * `secret://ORG/OWNER/NAME|*` (a grant resource, SPEC §3).
 */
const P = PRINCIPAL_NAME_SOURCE;
const S = SECRET_NAME_SOURCE;
export const secretPatternSchema = {
  type: "string",
  pattern: `^(secret://${P}/${P}/(${S}|\\*)|(${P}/)?${S}|${P}/\\*)$`,
  maxLength: 256,
} as const;
const allowSecretsSchema = {
  type: "array",
  maxItems: MAX_HOOK_ALLOWED_SECRETS,
  uniqueItems: true,
  items: secretPatternSchema,
} as const;

export interface CreateHookInput {
  name: string;
  /** A team the hook belongs to; without, the caller. Templates resolve with its rights. */
  owner?: string;
  description?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Patterns of the secrets the templates may render (SPEC §12: a hook names them). */
  allowSecrets?: string[];
  /** A secret holding the Standard Webhooks signing key; the server makes one when left out. */
  signingSecret?: string;
}
export interface UpdateHookInput {
  hook: string;
  description?: string;
  /** A new host (or scheme, or port) clears `allowSecrets` unless this call sets them. */
  url?: string;
  headers?: Record<string, string>;
  /** Null removes the body (the server then sends the event itself). */
  body?: string | null;
  allowSecrets?: string[];
  signingSecret?: string;
  /** False disables the hook (`manual`); true re-enables one disabled (failures, a 410 or by hand). */
  enabled?: boolean;
}
export interface ListHooksInput {
  owner?: string;
  limit?: number;
  cursor?: string;
}
/** get, delete. */
export interface HookRefInput {
  hook: string;
}
export interface TestHookInput extends HookRefInput {
  /** The kind of sample event to send; the server's default sample when left out. */
  event?: HookEventType;
}

export interface CreateAutomationInput {
  name: string;
  owner?: string;
  description?: string;
  on: HookEventType[];
  /**
   * `secret://ORG/OWNER/NAME`, `secret://ORG/OWNER/*`, or `*`: the secrets whose events fire the
   * hook (a grant or token scope resource, matched as acl/decide.ts's patternCovers does).
   */
  match: string;
  hook: string;
}
export interface ListAutomationsInput {
  owner?: string;
  hook?: string;
  limit?: number;
  cursor?: string;
}
export interface AutomationRefInput {
  automation: string;
}

export interface ListDeliveriesInput {
  hook?: string;
  /** Only deliveries whose last attempt failed. */
  failed?: boolean;
  limit?: number;
  cursor?: string;
}
export interface DeliveryRefInput {
  delivery: string;
}
export interface SecretUsedByInput {
  secret: string;
}

const hookRef = objectSchema({ hook: ownedRefSchema }, ["hook"]);

export const hookInputs = {
  create: compileSchema<CreateHookInput>(
    objectSchema(
      {
        name: ownedNameSchema,
        owner: principalNameSchema,
        description: descriptionSchema,
        url: urlSchema,
        headers: headersSchema,
        body: bodySchema,
        allowSecrets: allowSecretsSchema,
        signingSecret: secretRefSchema,
      },
      ["name", "url"],
    ),
  ),
  /** Fields left out stay as they are (an update naming none changes nothing). */
  update: compileSchema<UpdateHookInput>(
    objectSchema(
      {
        hook: ownedRefSchema,
        description: descriptionSchema,
        url: urlSchema,
        headers: headersSchema,
        body: { anyOf: [bodySchema, { type: "null" }] },
        allowSecrets: allowSecretsSchema,
        signingSecret: secretRefSchema,
        enabled: { type: "boolean" },
      },
      ["hook"],
    ),
  ),
  list: compileSchema<ListHooksInput>(
    objectSchema({ owner: principalNameSchema, ...pageSchema }, []),
  ),
  /** get, delete. */
  ref: compileSchema<HookRefInput>(hookRef),
  test: compileSchema<TestHookInput>(
    objectSchema({ hook: ownedRefSchema, event: eventTypeSchema }, ["hook"]),
  ),
} as const;

export const automationInputs = {
  create: compileSchema<CreateAutomationInput>(
    objectSchema(
      {
        name: ownedNameSchema,
        owner: principalNameSchema,
        description: descriptionSchema,
        on: {
          type: "array",
          minItems: 1,
          maxItems: HOOK_EVENT_TYPES.length,
          uniqueItems: true,
          items: eventTypeSchema,
        },
        match: scopeResourceSchema,
        hook: ownedRefSchema,
      },
      ["name", "on", "match", "hook"],
    ),
  ),
  list: compileSchema<ListAutomationsInput>(
    objectSchema({ owner: principalNameSchema, hook: ownedRefSchema, ...pageSchema }, []),
  ),
  /** delete. */
  ref: compileSchema<AutomationRefInput>(
    objectSchema({ automation: ownedRefSchema }, ["automation"]),
  ),
} as const;

export const deliveryInputs = {
  list: compileSchema<ListDeliveriesInput>(
    objectSchema({ hook: ownedRefSchema, failed: { type: "boolean" }, ...pageSchema }, []),
  ),
  redeliver: compileSchema<DeliveryRefInput>(
    objectSchema({ delivery: deliveryIdSchema }, ["delivery"]),
  ),
} as const;

export const usedByInputs = {
  secret: compileSchema<SecretUsedByInput>(objectSchema({ secret: secretRefSchema }, ["secret"])),
} as const;

// ---- Responses (times are RFC 3339 strings, as elsewhere in the API) ----

export interface HookView {
  /** `OWNER/NAME`. */
  ref: string;
  owner: string;
  name: string;
  description: string;
  /** Templates as saved, never rendered. */
  url: string;
  headers: Record<string, string>;
  body: string | null;
  allowSecrets: string[];
  /** The template references the hook's templates name (`${ml/openai_key}`). */
  secrets: string[];
  /** Names the signing key's secret; never the key. */
  signingSecret: string;
  enabled: boolean;
  /** Why the hook was disabled (`gone`: a 410; `failing`: 72 h of failures; `manual`). */
  disabledReason: "gone" | "failing" | "manual" | null;
  disabledAt: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface HookPage {
  items: HookView[];
  nextCursor: string | null;
}

export interface AutomationView {
  ref: string;
  owner: string;
  name: string;
  description: string;
  on: HookEventType[];
  match: string;
  /** `OWNER/NAME`. */
  hook: string;
  createdAt: string;
  createdBy: string;
}

export interface AutomationPage {
  items: AutomationView[];
  nextCursor: string | null;
}

export interface DeliveryAttemptView {
  attempt: number;
  startedAt: string;
  durationMs: number;
  /** The response's status; null when none came (refused target, timeout, connection error). */
  status: number | null;
  /** Why it failed, in words that never hold a value. */
  error: string | null;
  /** The response's headers, rendered values redacted. */
  responseHeaders: Record<string, string>;
  /** The first 4 KiB of the response body, rendered values redacted. */
  responseBody: string | null;
}

export interface DeliveryView {
  id: string;
  /** `OWNER/NAME`. */
  hook: string;
  /** The `webhook-id` every attempt of this delivery carries. */
  messageId: string;
  event: { id: string; type: HookEventType; time: string; resource: string | null };
  state: DeliveryState;
  /** The request as its templates (never rendered). */
  request: { url: string; headers: Record<string, string>; body: string | null };
  /** The secrets (and versions) the last attempt rendered. */
  secretsUsed: { ref: string; uri: string; version: number }[];
  attempts: DeliveryAttemptView[];
  createdAt: string;
  nextAttemptAt: string | null;
  /** The delivery this one redelivers, if any. */
  redeliveryOf: string | null;
}

export interface DeliveryPage {
  items: DeliveryView[];
  nextCursor: string | null;
}

/** Who names a secret (SPEC §12); deleting or disabling it needs these acknowledged. */
export interface SecretUsedByView {
  secret: string;
  hooks: { ref: string; via: "template" | "signingSecret" }[];
  automations: { ref: string; hook: string }[];
  rotators: { ref: string; via: "adminSecret" | "signingSecret" }[];
  /** Dependents the caller may not see, counted (they still need acknowledging). */
  others: number;
}
