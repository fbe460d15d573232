/**
 * The delivery log (SPEC §12): deliveries of the hooks the caller may read, newest first, each
 * with its attempts (never a rendered value: the request as its templates, the secret versions
 * used, the response redacted); `redeliver` (a new delivery of the same event with the same
 * `webhook-id`, as Svix's resend); `test` (a sample event sent at once, answered with its first
 * attempt). Changing deliveries needs `manage` on the hook.
 */
import {
  invalidStatus,
  newWebhookMessageId,
  notFound,
  type DeliveryPage,
  type DeliveryRefInput,
  type DeliveryView,
  type ListDeliveriesInput,
  type TestHookInput,
} from "@coffer/core";
import { can } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { HookAttempts } from "../hooks/hook-attempt.js";
import { newDeliveryId, newEventId } from "../hooks/hook-events.js";
import type { AttemptRow, DeliveryRow } from "../stores/delivery-store.js";
import type { Stores } from "../stores/stores.js";
import { audited } from "./audited.js";
import { decodeTimeCursor, encodeTimeCursor } from "./cursors.js";
import type { HookService } from "./hook-service.js";
import {
  ownedAddress,
  ownedAuditResource,
  ownedRef,
  ownedResource,
  readableOwners,
} from "./owned-access.js";

const MAX_PAGE = 200;
const DELIVERY_ID_RE = /^dlv_[0-9A-Za-z]{16}$/;
/** Who holds a test delivery's first attempt (the caller's request, not a worker). */
const TEST_LEASE_MS = 60_000;

export class DeliveryService {
  /** Called when a delivery became due on this replica (the worker wakes). */
  onDue: () => void = () => undefined;

  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "now">,
    private readonly stores: Pick<Stores, "hooks" | "deliveries" | "audit">,
    private readonly hooks: Pick<HookService, "readable">,
    private readonly attempts: Pick<HookAttempts, "run">,
  ) {}

  async list(actor: Actor, input: ListDeliveriesInput): Promise<DeliveryPage> {
    const limit = Math.min(input.limit ?? 50, MAX_PAGE);
    const before =
      input.cursor === undefined ? null : decodeTimeCursor(input.cursor, DELIVERY_ID_RE);
    const hookIds =
      input.hook !== undefined
        ? [(await this.hooks.readable(actor, this.deps.db, input.hook, "read")).id]
        : await this.#readableHooks(actor);
    if (hookIds.length === 0) return { items: [], nextCursor: null };
    const rows = await this.stores.deliveries.page(
      this.deps.db,
      hookIds,
      input.failed === true,
      before,
      limit + 1,
    );
    const shown = rows.slice(0, limit);
    const items = await this.#views(shown);
    const last = rows.length > limit ? shown.at(-1) : undefined;
    return { items, nextCursor: last ? encodeTimeCursor(last.created_at, last.id) : null };
  }

  redeliver(actor: Actor, meta: RequestMeta, input: DeliveryRefInput): Promise<DeliveryView> {
    const resource = `delivery:${input.delivery}`;
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "delivery.redeliver",
      resource,
      async (tx) => {
        const row = await this.stores.deliveries.delivery(tx, input.delivery);
        const hook = row && (await this.stores.hooks.hookById(tx, row.hook_id));
        if (
          !row ||
          !hook ||
          !can(actor, ownedResource(this.deps.org, hook.owner, hook.owner_kind), "list")
        ) {
          throw notFound(`delivery ${input.delivery} not found`, { delivery: input.delivery });
        }
        // Kept from being deleted until the delivery is made (else a NOT_FOUND, not a 500).
        const locked = await this.hooks.readable(
          actor,
          tx,
          `${hook.owner}/${hook.name}`,
          "manage",
          "share",
        );
        if (!locked.enabled) {
          throw invalidStatus(`hook ${hook.owner}/${hook.name} is disabled: enable it first`);
        }
        const id = newDeliveryId();
        await this.stores.deliveries.insertDeliveries(
          tx,
          [
            {
              id,
              hookId: hook.id,
              eventId: row.event_id,
              messageId: row.message_id,
              redeliveryOf: row.id,
            },
          ],
          this.deps.now(),
        );
        const [made] = await this.#views(await this.stores.deliveries.deliveries(tx, [id]), tx);
        return { result: made!, resource: `delivery:${id}`, details: { redeliveryOf: row.id } };
      },
    ).then((view) => {
      this.onDue();
      return view;
    });
  }

  /** Sends a sample event to the hook now; answers with the delivery after its first attempt. */
  async test(actor: Actor, meta: RequestMeta, input: TestHookInput): Promise<DeliveryView> {
    const leaseOwner = `test-${newDeliveryId()}`;
    const id = newDeliveryId();
    const type = input.event ?? "secret.version.created";
    const address = ownedAddress("hook", input.hook, actor);
    const resource = ownedAuditResource("hook", address);
    await audited(this.deps, this.stores, actor, meta, "hook.test", resource, async (tx) => {
      const hook = await this.hooks.readable(actor, tx, input.hook, "manage", "share");
      const now = this.deps.now();
      const eventId = newEventId();
      await this.stores.deliveries.insertEvents(tx, [
        {
          id: eventId,
          type,
          resource: null,
          data: sampleData(type, this.deps.org, hook.owner),
          at: now,
        },
      ]);
      await this.stores.deliveries.insertDeliveries(
        tx,
        [{ id, hookId: hook.id, eventId, messageId: newWebhookMessageId(), redeliveryOf: null }],
        now,
        { owner: leaseOwner, until: new Date(now.getTime() + TEST_LEASE_MS) },
      );
      return {
        result: undefined,
        resource: `hook:${hook.owner}/${hook.name}`,
        details: { event: type, delivery: id },
      };
    });
    const [row] = await this.stores.deliveries.deliveries(this.deps.db, [id]);
    if (row) await this.attempts.run(row, leaseOwner);
    const [view] = await this.#views(await this.stores.deliveries.deliveries(this.deps.db, [id]));
    if (view === undefined) {
      const ref = ownedRef(address);
      throw notFound(`hook ${ref} was deleted during its test`, { hook: ref });
    }
    return view;
  }

  async #readableHooks(actor: Actor): Promise<number[]> {
    const owners = readableOwners(
      this.deps.org,
      actor,
      await this.stores.hooks.owners(this.deps.db, "hooks"),
    );
    return owners.length === 0 ? [] : this.stores.hooks.hookIds(this.deps.db, owners);
  }

  async #views(rows: readonly DeliveryRow[], q: Queryable = this.deps.db): Promise<DeliveryView[]> {
    const attempts = await this.stores.deliveries.attempts(
      q,
      rows.map((r) => r.id),
    );
    const byDelivery = new Map<string, AttemptRow[]>();
    for (const a of attempts) {
      byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
    }
    return rows.map((row) => toDeliveryView(row, byDelivery.get(row.id) ?? []));
  }
}

/** What a test event carries: a sample of its kind, marked as a test. */
function sampleData(type: string, org: string, owner: string): Record<string, unknown> {
  const data: Record<string, unknown> = { test: true };
  if (type.startsWith("secret.") || type.startsWith("rotation.")) {
    data["secret"] = {
      uri: `secret://${org}/${owner}/example`,
      owner,
      name: "example",
      version: 1,
    };
  }
  if (type.startsWith("token.")) {
    data["token"] = {
      id: "tok_example",
      name: "example",
      kind: "personal",
      owner,
      expiresAt: null,
    };
  }
  if (type === "hook.disabled") data["hook"] = { ref: `${owner}/example`, reason: "failing" };
  return data;
}

export function toDeliveryView(row: DeliveryRow, attempts: readonly AttemptRow[]): DeliveryView {
  return {
    id: row.id,
    hook: `${row.hook_owner}/${row.hook_name}`,
    messageId: row.message_id,
    event: {
      id: row.event_id,
      type: row.event_type,
      time: row.event_at.toISOString(),
      resource: row.event_resource,
    },
    state: row.state,
    request: row.request,
    secretsUsed: row.secrets_used,
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      startedAt: a.started_at.toISOString(),
      durationMs: a.duration_ms,
      status: a.status,
      error: a.error,
      responseHeaders: a.response_headers,
      responseBody: a.response_body,
    })),
    createdAt: row.created_at.toISOString(),
    nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    redeliveryOf: row.redelivery_of,
  };
}
