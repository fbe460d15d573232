/**
 * The events of hooks (SPEC §12) as data: what an outbox row means, who may hear it, what its
 * templates' event variables are, and the body a hook without a body template sends.
 *
 * An outbox row is either a secret change exactly as the change feed announced it (written in
 * the same statement as the NOTIFY: `put`, `stage`, `delete`…) or an event of its own (token
 * expiry, audit verification, a hook disabled, a secret purged), which names its audience.
 * Never a value: events name secrets, versions and tokens by id and name.
 */
import {
  BASE62,
  HOOK_EVENT_TYPES,
  randomString,
  type HookEventType,
  type HookVariable,
} from "@coffer/core";
import type { FeedChange } from "../changes/change-feed.js";
import type { EventRow } from "../stores/delivery-store.js";

/** Who may hear an event: its automations' owners must pass this. */
export type Audience =
  /** Those who can at least list the secret. */
  | { kind: "secret"; owner: string; ownerKind: "user" | "team"; name: string }
  /** These users or teams (a personal token's owner). */
  | { kind: "principals"; names: string[] }
  /** Org admins (a shared token's expiry, the audit log's verification). */
  | { kind: "admins" };

/** An event of its own, as it goes into the outbox. */
export interface OwnEvent {
  type: HookEventType;
  resource: string | null;
  data: Record<string, unknown>;
  audience: Audience;
}

/** An outbox row understood: the event, who may hear it, and its place in the outbox. */
export interface OutboxEvent extends OwnEvent {
  at: Date;
  seq: number;
}

export const newEventId = (): string => `evt_${randomString(BASE62, 20)}`;
export const newDeliveryId = (): string => `dlv_${randomString(BASE62, 16)}`;

const isEventType = (type: unknown): type is HookEventType =>
  (HOOK_EVENT_TYPES as readonly unknown[]).includes(type);

/** The hook event a change-feed change is. */
function changeType(change: FeedChange): HookEventType | undefined {
  switch (change.event) {
    case "put":
      return change.version === 1 ? "secret.created" : "secret.version.created";
    case "stage":
      return "secret.promoted";
    case "enable":
      return "secret.enabled";
    case "disable":
      return "secret.disabled";
    case "delete":
      return change.version === null ? "secret.deleted" : "secret.deletion_scheduled";
    case "restore":
      return "secret.restored";
    case "rotation.succeeded":
    case "rotation.failed":
    case "rotation.missed":
      return change.event;
    default:
      return undefined;
  }
}

/** A secret's event, as the change feed or the purge job raises it. */
export function secretEvent(
  type: HookEventType,
  secret: { uri: string; owner: string; ownerKind: "user" | "team"; name: string },
  version: number | null,
): OwnEvent {
  return {
    type,
    resource: secret.uri,
    data: { secret: { uri: secret.uri, owner: secret.owner, name: secret.name, version } },
    audience: {
      kind: "secret",
      owner: secret.owner,
      ownerKind: secret.ownerKind,
      name: secret.name,
    },
  };
}

/** What an outbox row holds; undefined for a row this server does not understand (logged). */
export function outboxEvent(payload: unknown, at: Date, seq: number): OutboxEvent | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const p = payload as Partial<OwnEvent & FeedChange>;
  if (isEventType(p.type) && p.audience !== undefined && typeof p.data === "object") {
    return {
      type: p.type,
      resource: p.resource ?? null,
      data: p.data,
      audience: p.audience,
      at,
      seq,
    };
  }
  if (typeof p.uri === "string" && typeof p.event === "string" && typeof p.owner === "string") {
    const change = p as FeedChange;
    const type = changeType(change);
    if (type === undefined) return undefined;
    return { ...secretEvent(type, change, change.version), at, seq };
  }
  return undefined;
}

/** The event variables of a hook's templates for this event. */
export function eventVariables(
  event: EventRow,
  hookName: string,
): Partial<Record<HookVariable, string>> {
  const secret = event.data["secret"] as { uri?: string; version?: number | null } | undefined;
  const token = event.data["token"] as { name?: string; expiresAt?: string } | undefined;
  const vars: Partial<Record<HookVariable, string>> = {
    "event.type": event.type,
    "event.id": event.id,
    "event.time": event.at.toISOString(),
    "hook.name": hookName,
  };
  if (typeof secret?.uri === "string") vars["secret.uri"] = secret.uri;
  if (typeof secret?.version === "number") vars["secret.version"] = String(secret.version);
  if (typeof token?.name === "string") vars["token.name"] = token.name;
  if (typeof token?.expiresAt === "string") vars["token.expiresAt"] = token.expiresAt;
  return vars;
}

/**
 * The body a hook without a body template sends: Standard Webhooks' recommended shape,
 * `{ type, timestamp, data }`, with the event's id.
 */
export function eventBody(event: EventRow): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: event.at.toISOString(),
    data: event.data,
  });
}

/** `hook.disabled`, for the owner's other hooks (this one is disabled: it hears nothing). */
export function hookDisabledEvent(
  hook: { owner: string; name: string },
  reason: "gone" | "failing" | "manual",
): OwnEvent {
  const ref = `${hook.owner}/${hook.name}`;
  return {
    type: "hook.disabled",
    resource: `hook:${ref}`,
    data: { hook: { ref, owner: hook.owner, name: hook.name, reason } },
    audience: { kind: "principals", names: [hook.owner] },
  };
}

/** A token's expiry (SPEC §4, §12): a personal token's to its owner, a shared token's to admins. */
export function tokenEvent(
  type: "token.expiring" | "token.expired",
  token: {
    id: string;
    name: string;
    kind: "personal" | "shared";
    owner: string | null;
    expires_at: Date;
  },
): OwnEvent {
  return {
    type,
    resource: `token:${token.id}`,
    data: {
      token: {
        id: token.id,
        name: token.name,
        kind: token.kind,
        owner: token.owner,
        expiresAt: token.expires_at.toISOString(),
      },
    },
    audience:
      token.kind === "personal" && token.owner !== null
        ? { kind: "principals", names: [token.owner] }
        : { kind: "admins" },
  };
}

/** The audit log's verification found an edit or a gap (for admins). */
export function auditVerifyFailedEvent(problem: Record<string, unknown>): OwnEvent {
  return {
    type: "audit.verify_failed",
    resource: "audit",
    data: { audit: problem },
    audience: { kind: "admins" },
  };
}
