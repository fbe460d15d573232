/**
 * One attempt of one delivery (SPEC §12), for the replica holding its lease: render the hook's
 * templates for the event (secrets read with the hook owner's rights now, each rendering
 * audited as a reveal by `hook:OWNER/NAME`), sign and send, then record the attempt and the
 * delivery's next state (and the hook's, after a failure) atomically, only if the lease is
 * still ours.
 *
 * Nothing is sent when rendering fails (a secret the hook may not use or its owner may no
 * longer read, a header that would hold CR or LF): the attempt fails with the reason and is
 * retried on the schedule like any failure. The log keeps the templates, the secret versions
 * used and the response with every rendered value (and the signing keys) redacted; never a
 * rendered request.
 */
import { performance } from "node:perf_hooks";
import { LRUCache } from "lru-cache";
import {
  CofferError,
  compileHookTemplate,
  type ErrorCode,
  forbidden,
  formatTemplateRef,
  invalidStatus,
  patternCovers,
  redact,
  redactHead,
  renderHookRequest,
  type TemplateRef,
} from "@coffer/core";
import { SYSTEM, SYSTEM_META } from "../audit/audit-log.js";
import type { Actor } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { rightsOf } from "../services/principal-rights.js";
import type { SecretReader } from "../services/secret-reader.js";
import { secretUri, versionContext } from "../services/secret-view.js";
import type { AttemptOutcome, DeliveryRow, SecretUseRow } from "../stores/delivery-store.js";
import type { HookDisabledReason, HookRow } from "../stores/hook-store.js";
import type { Stores } from "../stores/stores.js";
import { BODY_HEAD_BYTES, type WebhookClient, type WebhookResponse } from "../webhooks/outbound.js";
import { retryAfterMs } from "../webhooks/retry-after.js";
import { eventBody, eventVariables, hookDisabledEvent } from "./hook-events.js";
import { FAILING_DISABLES_AFTER_MS, nextAttemptAt } from "./retry-schedule.js";

export type HookAttemptDeps = Pick<Deps, "db" | "org" | "keyring" | "now" | "log" | "metrics">;
export type HookAttemptStores = Pick<
  Stores,
  "hooks" | "deliveries" | "secrets" | "keys" | "audit" | "principals" | "grants"
>;

/** While the signing secret's current version is this young, the previous key signs too. */
const SIGNING_OVERLAP_MS = 24 * 3_600_000;
/**
 * Signing keys are kept this long once read (a burst of deliveries reads them once); a new
 * key is in use within this time, and the previous one still signs beside it meanwhile.
 */
const SIGNING_KEYS_TTL_MS = 2_000;

interface Prepared {
  url: string;
  headers: Record<string, string>;
  body: string;
  keys: string[];
  secretsUsed: SecretUseRow[];
  /** What the response is scrubbed of: rendered values and the signing keys. */
  scrub: string[];
}

/** Who reads a hook's secrets: its owner, as it holds rights now, named as the hook. */
async function hookActor(stores: HookAttemptStores, q: Queryable, hook: HookRow): Promise<Actor> {
  const rights = await rightsOf(stores, q, hook.owner);
  const label = `hook:${hook.owner}/${hook.name}`;
  return {
    principal: rights.principal,
    credential: { scopes: [{ resource: "*", level: "read" }] },
    tokenId: label,
    label,
    defaultOwner: hook.owner,
    grants: rights.grants,
  };
}

const messageOf = (error: unknown): string =>
  error instanceof CofferError ? error.message : "an internal error (see the server's log)";

export class HookAttempts {
  readonly #signingKeys = new LRUCache<string, string[]>({ max: 1_000, ttl: SIGNING_KEYS_TTL_MS });

  constructor(
    private readonly deps: HookAttemptDeps,
    private readonly stores: HookAttemptStores,
    private readonly reader: Pick<SecretReader, "batchReveal">,
    private readonly client: WebhookClient,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Runs one attempt of a delivery leased to `owner` (with its hook, when the caller read it
   * already); returns whether its outcome was kept.
   */
  async run(row: DeliveryRow, owner: string, loaded?: HookRow): Promise<boolean> {
    const hook = loaded ?? (await this.stores.hooks.hookById(this.deps.db, row.hook_id));
    if (!hook) return false; // deleted meanwhile: its deliveries went with it
    const attempt = row.attempts + 1;
    const startedAt = this.deps.now();
    const started = performance.now();
    let prepared: Prepared | undefined;
    let response: WebhookResponse | undefined;
    let error: string | null = null;
    try {
      if (!hook.enabled) throw invalidStatus(`hook ${hook.owner}/${hook.name} is disabled`);
      prepared = await this.#prepare(row, hook);
      response = await this.client.post({
        url: prepared.url,
        headers: prepared.headers,
        body: prepared.body,
        keys: prepared.keys,
        id: row.message_id,
      });
    } catch (caught) {
      if (!(caught instanceof CofferError)) {
        this.deps.log.error({ err: caught, delivery: row.id }, "a hook delivery attempt failed");
      }
      error = messageOf(caught);
    }
    const now = this.deps.now();
    const status = response?.status ?? null;
    const delivered = status !== null && status >= 200 && status < 300;
    const gone = status === 410;
    if (!delivered && error === null) error = `the receiver answered ${status}`;
    const next =
      delivered || gone || !hook.enabled
        ? null
        : nextAttemptAt(
            attempt,
            now,
            retryAfterMs(response?.headers["retry-after"], now),
            this.random(),
          );
    const state = delivered ? "delivered" : next === null ? "failed" : "pending";
    const scrub = prepared?.scrub ?? [];
    const outcome: AttemptOutcome = {
      attempt: {
        attempt,
        started_at: startedAt,
        duration_ms: Math.round(performance.now() - started),
        status,
        error: error === null ? null : redact(error, scrub),
        response_headers: Object.fromEntries(
          Object.entries(response?.headers ?? {}).map(([k, v]) => [k, redact(v, scrub)]),
        ),
        response_body:
          response === undefined
            ? null
            : redactHead(
                response.bodyHead,
                scrub,
                Buffer.byteLength(response.bodyHead) >= BODY_HEAD_BYTES - 4,
              ),
      },
      state,
      nextAttemptAt: next,
      request: { url: hook.url, headers: hook.headers, body: hook.body },
      secretsUsed: prepared?.secretsUsed ?? row.secrets_used,
    };
    const record = async (q: Queryable): Promise<boolean> => {
      if (!(await this.stores.deliveries.recordAttempt(q, row.id, owner, outcome, now))) {
        return false;
      }
      if (delivered) {
        if (hook.failing_since !== null) await this.stores.hooks.succeeded(q, hook.id);
      } else if (gone) await this.disable(q, hook, "gone", now);
      else if (hook.enabled) {
        const since = await this.stores.hooks.failed(q, hook.id, now);
        if (now.getTime() - since.getTime() >= FAILING_DISABLES_AFTER_MS) {
          await this.disable(q, hook, "failing", now);
        }
      }
      return true;
    };
    // A success on a hook that was not failing is one statement; anything more, a transaction.
    const kept =
      delivered && hook.failing_since === null
        ? await record(this.deps.db)
        : await this.deps.db.transaction(record);
    if (kept) {
      this.deps.metrics.hookAttempts.inc({
        outcome: state === "pending" ? "retrying" : state,
      });
    }
    return kept;
  }

  /**
   * Disables the hook (a 410, 72 h of failures), ends its pending deliveries and raises
   * `hook.disabled` for its owner's other hooks, in the caller's transaction.
   */
  async disable(tx: Queryable, hook: HookRow, reason: HookDisabledReason, now: Date) {
    if (!(await this.stores.hooks.disable(tx, hook.id, reason, now))) return;
    await this.stores.deliveries.failPending(tx, hook.id, now);
    await this.stores.deliveries.enqueue(tx, [hookDisabledEvent(hook, reason)]);
    await this.stores.audit.record(tx, SYSTEM, SYSTEM_META, {
      action: "hook.disable",
      resource: `hook:${hook.owner}/${hook.name}`,
      details: { reason },
    });
  }

  async #prepare(row: DeliveryRow, hook: HookRow): Promise<Prepared> {
    const compiled = compileHookTemplate({ url: hook.url, headers: hook.headers, body: hook.body });
    const values = await this.#secrets(row, hook, compiled.secrets);
    const event = {
      id: row.event_id,
      type: row.event_type,
      resource: row.event_resource,
      data: row.event_data,
      at: row.event_at,
    };
    const rendered = renderHookRequest(compiled, {
      secret: (ref) => values.get(formatTemplateRef(ref))!,
      vars: eventVariables(event, hook.name),
    });
    let keys = this.#signingKeys.get(hook.signing_secret);
    if (keys === undefined) {
      keys = await this.#readSigningKeys(hook);
      this.#signingKeys.set(hook.signing_secret, keys);
    }
    return {
      url: rendered.url,
      headers: rendered.headers,
      body: rendered.body ?? eventBody(event),
      keys,
      secretsUsed: rendered.secretsUsed.map((use) => ({
        ref: use.ref,
        uri: use.uri ?? "",
        version: use.version ?? 0,
      })),
      scrub: [...rendered.renderedValues, ...keys],
    };
  }

  /**
   * The values of the secrets the templates name, each allowed by the hook and readable by its
   * owner now, read in one batch (audited as reveals by the hook).
   */
  async #secrets(
    row: DeliveryRow,
    hook: HookRow,
    refs: readonly TemplateRef[],
  ): Promise<Map<string, { value: string; uri: string; version: number }>> {
    const out = new Map<string, { value: string; uri: string; version: number }>();
    if (refs.length === 0) return out;
    const items = refs.map((ref) => {
      const owner = ref.owner ?? hook.owner;
      const uri = secretUri(this.deps.org, owner, ref.name);
      if (!hook.allow_secrets.some((pattern) => patternCovers(pattern, uri))) {
        throw forbidden(
          `${formatTemplateRef(ref)} names ${owner}/${ref.name}, which hook ${hook.owner}/${hook.name} may not use (add it to allowSecrets); nothing was sent`,
          { reason: "secret-not-allowed" },
        );
      }
      return { secret: `${owner}/${ref.name}`, ...(ref.key !== undefined ? { key: ref.key } : {}) };
    });
    const actor = await hookActor(this.stores, this.deps.db, hook);
    const results = await this.reader.batchReveal(actor, { ip: "", requestId: row.id }, { items });
    results.forEach((result, i) => {
      const ref = formatTemplateRef(refs[i]!);
      if (!result.ok) {
        throw new CofferError(
          result.error.errorCode as ErrorCode,
          `${ref}: ${result.error.message}; nothing was sent`,
        );
      }
      out.set(ref, { value: result.value, uri: result.uri, version: result.version });
    });
    return out;
  }

  /**
   * The keys to sign with: the signing secret's current value, and its previous one while the
   * current is under a day old (receivers switch keys within that day: two signatures meanwhile).
   */
  async #readSigningKeys(hook: HookRow): Promise<string[]> {
    const slash = hook.signing_secret.indexOf("/");
    const owner = hook.signing_secret.slice(0, slash);
    const name = hook.signing_secret.slice(slash + 1);
    const rows = await this.stores.secrets.reveal(this.deps.db, [
      { owner, name, version: null, stage: null },
      { owner, name, version: null, stage: "previous" },
    ]);
    rows.sort((a, b) => Number(a.i) - Number(b.i));
    const current = rows.find((r) => Number(r.i) === 1);
    if (!current || current.v_version === null || current.status !== "enabled") {
      throw invalidStatus(
        `the hook's signing secret ${hook.signing_secret} is missing, disabled or scheduled for deletion; nothing was sent`,
      );
    }
    // When the current version was made: the previous key signs too for a day after.
    const made = (await this.stores.secrets.versions(this.deps.db, current.id)).find(
      (v) => v.version === current.v_version,
    )?.created_at;
    const young =
      made !== undefined && this.deps.now().getTime() - made.getTime() < SIGNING_OVERLAP_MS;
    const opened: string[] = [];
    for (const row of young ? rows : [current]) {
      if (row.v_version === null || row.v_protection_key_id === null) continue;
      await this.stores.keys.ensureLoaded(row.v_protection_key_id, this.deps.db);
      opened.push(
        this.deps.keyring.open(
          {
            protectionKeyId: row.v_protection_key_id,
            wrappedDataKey: row.v_wrapped_data_key!,
            ciphertext: row.v_ciphertext!,
          },
          versionContext(this.deps.org, row, row.v_version),
        ),
      );
    }
    return opened;
  }
}
