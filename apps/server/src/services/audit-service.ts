/**
 * Reading the audit log: org admins see every event; others see their own actions, and the
 * events of secrets they may read. Verify (org admins) checks the seals and the hash chain,
 * against an expected head when given one.
 */
import { invalidRequest, type ListAuditInput, type VerifyAuditInput } from "@coffer/core";
import { can, requireAccess, requireFullScope } from "../access.js";
import type { Actor } from "../auth/actor.js";
import type { Deps } from "../deps.js";
import type { AuditChain, AuditVerification } from "../audit/audit-chain.js";
import { decodeIdCursor, encodeIdCursor } from "./cursors.js";
import type { Stores } from "../stores/stores.js";
import { addressOf, missing, secretResource } from "./secret-lookup.js";
import { secretUri } from "./secret-view.js";
import { auditVerifyFailedEvent } from "../hooks/hook-events.js";

export interface AuditEventView {
  id: number;
  at: string;
  actor: string | null;
  tokenId: string | null;
  action: string;
  resource: string | null;
  result: string;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

export class AuditService {
  constructor(
    private readonly deps: Pick<Deps, "db" | "org">,
    private readonly stores: Pick<Stores, "audit" | "secrets" | "deliveries">,
    private readonly chain: AuditChain,
  ) {}

  async list(
    actor: Actor,
    input: ListAuditInput,
  ): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
    const limit = Math.min(input.limit ?? 100, 500);
    let resource: string | null = null;
    if (input.secret !== undefined) {
      const addr = addressOf(input.secret, actor, this.deps.org);
      const row = await this.stores.secrets.find(this.deps.db, addr.owner, addr.name);
      if (!row) throw missing(this.deps.org, addr.owner, addr.name);
      requireAccess(
        actor,
        secretResource(this.deps.org, row.owner, row.owner_kind, row.name),
        "read",
      );
      resource = secretUri(this.deps.org, row.owner, row.name);
    }
    // Without a secret to filter on, the listing reaches beyond any one resource.
    if (resource === null) requireFullScope(actor, "listing the audit log beyond one secret");
    const admin = can(actor, { kind: "org" }, "manage");
    const onlyActor = admin || resource !== null ? null : actor.label;
    const since = input.since !== undefined ? new Date(input.since) : null;
    if (since !== null && Number.isNaN(since.getTime()))
      throw invalidRequest("since is not a date");
    const before = input.cursor !== undefined ? decodeIdCursor(input.cursor) : null;
    const rows = await this.stores.audit.list(this.deps.db, {
      resource,
      onlyActor,
      actor: input.actor ?? null,
      action: input.action ?? null,
      since,
      before,
      limit,
    });
    const items = rows.slice(0, limit).map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      actor: r.actor,
      tokenId: r.token_id,
      action: r.action,
      resource: r.resource,
      result: r.result,
      ip: r.ip,
      requestId: r.request_id,
      details: r.details,
    }));
    const nextCursor = rows.length > limit ? encodeIdCursor(items.at(-1)!.id) : null;
    return { items, nextCursor };
  }

  async verify(actor: Actor, input: VerifyAuditInput = {}): Promise<AuditVerification> {
    requireAccess(actor, { kind: "org" }, "manage");
    const result = await this.chain.verify(input.expectHead);
    if (!result.ok) {
      // Admins' hooks hear of it (SPEC §12 `audit.verify_failed`); the problems name events
      // by sequence number, never a value.
      const event = auditVerifyFailedEvent({
        checked: result.checked,
        problems: result.problems.slice(0, 10),
        head: result.head,
      });
      await this.deps.db.transaction((tx) => this.stores.deliveries.enqueue(tx, [event]));
    }
    return result;
  }
}
