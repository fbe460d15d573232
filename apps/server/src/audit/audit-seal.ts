/**
 * What only the server can compute over an audit event: its seal, an HMAC over everything the
 * row says (a random event id, the time, actor, token id, action, resource, result, ip,
 * request id, details), made when the row is written; and the MAC of the chain head. Both
 * keys are derived from one protection key, so forging either needs the root key, not only the
 * database. Which key is pinned by id in the org row (`audit_key_id`, set by bootstrap or, for
 * an org set up before, by migration 003), not chosen by a time: a clock step or an edited
 * `created_at` would otherwise change the keys, and an edited pointer makes every seal fail
 * (found, never forged). The keys are derived once per keyring and held: sealing costs no query.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Keyring } from "@coffer/core";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { orgStore } from "../stores/key-store.js";

export const AUDIT_KEY_LABEL = "coffer/audit-chain/v1";
const SEAL_KEY_LABEL = "coffer/audit-seal/v1";

export interface AuditKeys {
  /** Links events to each other and authenticates the head. */
  chain: Buffer;
  /** Seals each event when it is written. */
  seal: Buffer;
}

/** What deriving the keys needs. */
export type AuditKeyDeps = Pick<Deps, "keyring" | "protectionKeys">;

const held = new WeakMap<Keyring, AuditKeys>();

/**
 * The audit keys. The first call reads the org's audit key id with `q` (bootstrap's
 * transaction sets it together with the first event); later calls answer from memory.
 */
export async function auditKeys(deps: AuditKeyDeps, q: Queryable): Promise<AuditKeys> {
  const known = held.get(deps.keyring);
  if (known) return known;
  const keys = await deriveAuditKeys(deps, q);
  held.set(deps.keyring, keys);
  return keys;
}

/** The audit keys read and derived now (not held). */
export async function deriveAuditKeys(deps: AuditKeyDeps, q: Queryable): Promise<AuditKeys> {
  const id = await orgStore.auditKeyId(q);
  if (!id) throw new Error("the org has no audit key to derive the audit keys from");
  await deps.protectionKeys.ensureLoaded(id, q);
  return {
    chain: deps.keyring.deriveKey(id, AUDIT_KEY_LABEL),
    seal: deps.keyring.deriveKey(id, SEAL_KEY_LABEL),
  };
}

/** What a row says, as its seal covers it. `at_us`: the time in microseconds since 1970. */
export interface SealedFields {
  event_id: string;
  at_us: string;
  actor: string | null;
  token_id: string | null;
  action: string;
  resource: string | null;
  result: string;
  ip: string | null;
  request_id: string | null;
  details: unknown;
}

/** JSON with object keys sorted at every level: the same text for the same content. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

const hmac = (key: Buffer, text: string): string =>
  createHmac("sha256", key).update(text).digest("hex");

/** What a row says after its id, in the order links and seals cover it. */
export const eventFields = (e: Omit<SealedFields, "event_id">): unknown[] => [
  e.at_us,
  e.actor,
  e.token_id,
  e.action,
  e.resource,
  e.result,
  e.ip,
  e.request_id,
  e.details,
];

export function sealOf(key: Buffer, e: SealedFields): string {
  return hmac(key, canonicalJson(["coffer-audit-event/v1", e.event_id, ...eventFields(e)]));
}

/** The MAC of a head: the chain's length and last link (not hex, so never a link's input). */
export function headMac(key: Buffer, seq: number, hash: string): string {
  return hmac(key, `coffer-audit-head/v1\n${seq}\n${hash}`);
}

/** A new event's id: random, so a copied row is a duplicate, never a second event. */
export const newEventId = (): string => randomBytes(16).toString("hex");
