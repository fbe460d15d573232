/**
 * Every change to a secret: create, new versions (with check-and-set), stage moves and
 * rollback, disable/enable, scheduled or forced deletion, restore, description, protection
 * key. Each runs in one transaction that locks the secret's row (writers to one secret queue
 * up; none is lost) and writes its audit event. Concurrent puts to one secret share one such
 * transaction (see put).
 */
import {
  DEFAULT_RECOVERY_DAYS,
  generateRandomSecret,
  invalidRequest,
  invalidStatus,
  notFound,
  type CreateSecretInput,
  type DeleteSecretInput,
  type DescriptionInput,
  type Level,
  type MoveStageInput,
  type ProtectionKeyChangeInput,
  type PutSecretInput,
  type RandomSecretOptions,
  type SecretChangeEvent,
  type SecretInput,
} from "@coffer/core";
import { requireAccess } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { addDays } from "../time.js";
import { changePayload, type FeedChange } from "../changes/change-feed.js";
import { KeyedBatcher } from "../db/keyed-batcher.js";
import { audited, auditFailure, type AuditedResult } from "./audited.js";
import type { NewVersion, SecretRow, VersionState } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import {
  addressOf,
  missing,
  ownerKind,
  secretResource,
  type SecretAddress,
} from "./secret-lookup.js";
import { secretUri, toMeta, versionContext, type SecretMeta } from "./secret-view.js";

interface ValueSource {
  value?: string;
  generate?: RandomSecretOptions;
}

function valueFrom(input: ValueSource): string {
  if (input.value !== undefined && input.generate !== undefined) {
    throw invalidRequest("give either value or generate, not both");
  }
  if (input.value !== undefined) return input.value;
  if (input.generate !== undefined) return generateRandomSecret(input.generate);
  throw invalidRequest("give a value, or generate to make a random one");
}

export interface VersionWritten {
  uri: string;
  version: number;
  stage: "current" | "pending";
}

/** A put waiting for its secret's next batch. */
interface PendingPut {
  actor: Actor;
  meta: RequestMeta;
  input: PutSecretInput;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export class SecretWriter {
  readonly #puts: KeyedBatcher<string, PendingPut, Settled<VersionWritten>>;

  constructor(
    private readonly deps: Pick<
      Deps,
      "db" | "log" | "credentialCache" | "org" | "keyring" | "changes" | "now"
    >,
    private readonly stores: Pick<Stores, "secrets" | "principals" | "keys" | "audit">,
  ) {
    this.#puts = new KeyedBatcher(
      (key, puts) => {
        const at = key.indexOf("/");
        return this.#putBatch(key.slice(0, at), key.slice(at + 1), puts);
      },
      500,
      deps.db.engine === "pglite",
    );
  }

  async create(actor: Actor, meta: RequestMeta, input: CreateSecretInput): Promise<SecretMeta> {
    const addr = addressOf(input.secret, actor, this.deps.org);
    const uri = secretUri(this.deps.org, addr.owner, addr.name);
    return audited(this.deps, this.stores, actor, meta, "secret.create", uri, async (tx) => {
      const kind = await ownerKind(this.stores.principals, tx, addr.owner);
      requireAccess(actor, secretResource(this.deps.org, addr.owner, kind, addr.name), "manage", {
        hideExistence: false,
      });
      const value = valueFrom(input);
      const pkId = await this.stores.keys.defaultId(tx);
      const id = await this.stores.secrets.insert(tx, {
        owner: addr.owner,
        name: addr.name,
        description: input.description ?? "",
        protectionKeyId: pkId,
        by: actor.label,
      });
      if (id === undefined)
        throw invalidStatus(`${uri} already exists; put a new version instead`, { uri });
      await this.#insertVersion(tx, id, addr, 1, value, pkId, actor);
      const row = (await this.stores.secrets.find(tx, addr.owner, addr.name))!;
      // A reader may have cached "not found" for it: a first version is news too.
      await this.#announce(tx, row, "put", 1);
      return { result: toMeta(this.deps.org, row), details: { version: 1 } };
    });
  }

  /**
   * A new version. Concurrent puts to one secret go together (see #putBatch): the first runs
   * at once, those arriving meanwhile share the next transaction. A put refused or failed is
   * audited as audited() audits it; it fails alone unless the transaction fails.
   */
  async put(actor: Actor, meta: RequestMeta, input: PutSecretInput): Promise<VersionWritten> {
    const addr = addressOf(input.secret, actor, this.deps.org);
    let outcome: Settled<VersionWritten>;
    try {
      outcome = await this.#puts.call(`${addr.owner}/${addr.name}`, { actor, meta, input });
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (outcome.ok) return outcome.value;
    const uri = secretUri(this.deps.org, addr.owner, addr.name);
    await auditFailure(this.deps, this.stores, actor, meta, "secret.put", uri, outcome.error);
    throw outcome.error;
  }

  /**
   * Puts to one secret in one transaction: the row is locked once (other replicas' writers
   * still queue on it), then each put in arrival order is checked against the secret as the
   * puts before it left it (access, status, check-and-set) and sealed as the next version; the
   * versions, one audit event each, the stages and the NOTIFYs are written together.
   */
  #putBatch(owner: string, name: string, puts: readonly PendingPut[]) {
    return this.deps.db.transaction(async (tx) => {
      const row = await this.stores.secrets.find(tx, owner, name, true);
      if (!row)
        return puts.map((): Settled<VersionWritten> => ({
          ok: false,
          error: missing(this.deps.org, owner, name),
        }));
      const state: VersionState = { ...row };
      const uri = this.#uri(row);
      const written: (NewVersion & PendingPut & { stage: VersionWritten["stage"] })[] = [];
      const outcomes: Settled<VersionWritten>[] = [];
      for (const put of puts) {
        try {
          const result = await this.#nextVersion(tx, row, state, put);
          written.push({ ...put, ...result.version, stage: result.stage });
          outcomes.push({
            ok: true,
            value: { uri, version: result.version.version, stage: result.stage },
          });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      if (written.length === 0) return outcomes;
      await this.stores.secrets.putVersions(tx, {
        secretId: row.id,
        maxVersions: row.max_versions,
        versions: written,
        state,
        by: written[written.length - 1]!.by,
        auditJson: await this.stores.audit.rowsJson(
          tx,
          written.map((w) => ({
            actor: w.actor,
            meta: w.meta,
            events: {
              action: "secret.put",
              resource: uri,
              details: { version: w.version, stage: w.stage },
            },
          })),
        ),
        channel: this.deps.changes.channel,
        payloads: written.map((w) => changePayload(this.#feedChange(row, "put", w.version))),
      });
      return outcomes;
    });
  }

  /** One put's checks and sealed value; moves `state` on by its version. */
  async #nextVersion(tx: Queryable, row: SecretRow, state: VersionState, put: PendingPut) {
    const { actor, input } = put;
    requireAccess(
      actor,
      secretResource(this.deps.org, row.owner, row.owner_kind, row.name),
      "write",
    );
    if (row.status === "pending_deletion") throw this.#scheduled(row);
    if (input.expectedVersion !== undefined && input.expectedVersion !== state.current_version) {
      throw invalidStatus(
        `check-and-set failed: the current version is ${state.current_version}, not ${input.expectedVersion}`,
        { currentVersion: state.current_version, expectedVersion: input.expectedVersion },
      );
    }
    const value = valueFrom(input);
    const version = state.last_version + 1;
    const stage = input.stage ?? "current";
    await this.stores.keys.ensureLoaded(row.protection_key_id, tx);
    const sealed = this.deps.keyring.seal(
      value,
      versionContext(this.deps.org, row, version),
      row.protection_key_id,
    );
    if (stage === "current") {
      state.previous_version = state.current_version;
      state.current_version = version;
    } else {
      state.pending_version = version;
    }
    state.last_version = version;
    return { version: { version, sealed, by: actor.label }, stage };
  }

  async moveStage(actor: Actor, meta: RequestMeta, input: MoveStageInput): Promise<SecretMeta> {
    return this.#change(actor, meta, input.secret, "write", "secret.stage", async (tx, row) => {
      if (row.status === "pending_deletion") throw this.#scheduled(row);
      await this.#requireVersion(tx, row, input.version);
      const v = input.version;
      if (input.stage === "current") {
        if (row.current_version !== v)
          await this.stores.secrets.makeCurrent(tx, row.id, v, actor.label);
      } else if (input.stage === "previous") {
        if (row.current_version === v)
          throw invalidStatus(`version ${v} is current; it cannot also be previous`);
        await this.stores.secrets.setStage(tx, row.id, "previous_version", v, actor.label);
      } else {
        if (row.current_version === v) throw invalidStatus(`version ${v} is already current`);
        await this.stores.secrets.setStage(tx, row.id, "pending_version", v, actor.label);
      }
      const current = input.stage === "current" ? v : row.current_version;
      await this.#announce(tx, row, "stage", current);
      return { result: await this.#meta(tx, row), details: { stage: input.stage, version: v } };
    });
  }

  /** previous → current, and the old current becomes previous. */
  async rollback(actor: Actor, meta: RequestMeta, input: SecretInput): Promise<SecretMeta> {
    return this.#change(actor, meta, input.secret, "write", "secret.rollback", async (tx, row) => {
      if (row.status === "pending_deletion") throw this.#scheduled(row);
      if (row.previous_version === null)
        throw invalidStatus(`${this.#uri(row)} has no previous version to roll back to`);
      await this.stores.secrets.rollback(tx, row.id, actor.label);
      await this.#announce(tx, row, "stage", row.previous_version);
      return {
        result: await this.#meta(tx, row),
        details: { from: row.current_version, to: row.previous_version },
      };
    });
  }

  async setEnabled(
    actor: Actor,
    meta: RequestMeta,
    input: SecretInput,
    enabled: boolean,
  ): Promise<SecretMeta> {
    const action = enabled ? "secret.enable" : "secret.disable";
    return this.#change(actor, meta, input.secret, "write", action, async (tx, row) => {
      if (row.status === "pending_deletion") throw this.#scheduled(row);
      await this.stores.secrets.setStatus(
        tx,
        row.id,
        enabled ? "enabled" : "disabled",
        actor.label,
      );
      await this.#announce(tx, row, enabled ? "enable" : "disable", row.current_version);
      return { result: await this.#meta(tx, row) };
    });
  }

  /** Schedules deletion after a recovery window (7–30 days), or with `force` deletes now. */
  async delete(
    actor: Actor,
    meta: RequestMeta,
    input: DeleteSecretInput,
  ): Promise<SecretMeta | { uri: string; deleted: true }> {
    if (input.force && input.recoveryDays !== undefined) {
      throw invalidRequest("give recoveryDays or force, not both");
    }
    type Deleted = SecretMeta | { uri: string; deleted: true };
    return this.#change<Deleted>(
      actor,
      meta,
      input.secret,
      "manage",
      "secret.delete",
      async (tx, row) => {
        if (input.force) {
          await this.stores.secrets.remove(tx, this.deps.org, row.id);
          await this.#announce(tx, row, "delete", null);
          return {
            result: { uri: this.#uri(row), deleted: true as const },
            details: { force: true },
          };
        }
        if (row.status === "pending_deletion") throw this.#scheduled(row);
        const days = input.recoveryDays ?? DEFAULT_RECOVERY_DAYS;
        const when = addDays(this.deps.now(), days);
        await this.stores.secrets.scheduleDeletion(tx, row.id, when, actor.label);
        await this.#announce(tx, row, "delete", row.current_version);
        return { result: await this.#meta(tx, row), details: { recoveryDays: days } };
      },
    );
  }

  async restore(actor: Actor, meta: RequestMeta, input: SecretInput): Promise<SecretMeta> {
    return this.#change(actor, meta, input.secret, "manage", "secret.restore", async (tx, row) => {
      if (row.status !== "pending_deletion")
        throw invalidStatus(`${this.#uri(row)} is not scheduled for deletion`);
      await this.stores.secrets.restore(tx, row.id, actor.label);
      await this.#announce(tx, row, "restore", row.current_version);
      return { result: await this.#meta(tx, row) };
    });
  }

  async setDescription(
    actor: Actor,
    meta: RequestMeta,
    input: DescriptionInput,
  ): Promise<SecretMeta> {
    return this.#change(
      actor,
      meta,
      input.secret,
      "write",
      "secret.describe-set",
      async (tx, row) => {
        await this.stores.secrets.setDescription(tx, row.id, input.description, actor.label);
        return { result: await this.#meta(tx, row) };
      },
    );
  }

  /** Re-wraps every version's data key under another protection key; values are untouched. */
  async changeProtectionKey(
    actor: Actor,
    meta: RequestMeta,
    input: ProtectionKeyChangeInput,
  ): Promise<SecretMeta> {
    return this.#change(
      actor,
      meta,
      input.secret,
      "manage",
      "secret.protection-key",
      async (tx, row) => {
        await this.stores.keys.ensureLoaded(input.protectionKeyId, tx);
        const versions = await this.stores.secrets.sealedVersions(tx, row.id);
        for (const v of versions) {
          await this.stores.keys.ensureLoaded(v.protection_key_id, tx);
          const sealed = {
            protectionKeyId: v.protection_key_id,
            wrappedDataKey: v.wrapped_data_key,
            ciphertext: v.ciphertext,
          };
          const moved = this.deps.keyring.rewrap(
            sealed,
            versionContext(this.deps.org, row, v.version),
            input.protectionKeyId,
          );
          await this.stores.secrets.rewrapVersion(
            tx,
            row.id,
            v.version,
            moved.protectionKeyId,
            moved.wrappedDataKey,
          );
        }
        await this.stores.secrets.setProtectionKey(tx, row.id, input.protectionKeyId, actor.label);
        return {
          result: await this.#meta(tx, row),
          details: {
            from: row.protection_key_id,
            to: input.protectionKeyId,
            versions: versions.length,
          },
        };
      },
    );
  }

  /** Finds and locks the secret, checks the level, runs the change, audits it. */
  async #change<T>(
    actor: Actor,
    meta: RequestMeta,
    ref: string,
    level: Level,
    action: string,
    change: (tx: Queryable, row: SecretRow) => Promise<AuditedResult<T>>,
  ): Promise<T> {
    const addr = addressOf(ref, actor, this.deps.org);
    const uri = secretUri(this.deps.org, addr.owner, addr.name);
    return audited(this.deps, this.stores, actor, meta, action, uri, async (tx) => {
      const row = await this.stores.secrets.find(tx, addr.owner, addr.name, true);
      if (!row) throw missing(this.deps.org, addr.owner, addr.name);
      requireAccess(
        actor,
        secretResource(this.deps.org, row.owner, row.owner_kind, row.name),
        level,
      );
      return change(tx, row);
    });
  }

  async #insertVersion(
    tx: Queryable,
    secretId: number,
    addr: Pick<SecretAddress, "owner" | "name">,
    version: number,
    value: string,
    protectionKeyId: string,
    actor: Actor,
  ): Promise<void> {
    await this.stores.keys.ensureLoaded(protectionKeyId, tx);
    const sealed = this.deps.keyring.seal(
      value,
      versionContext(this.deps.org, addr, version),
      protectionKeyId,
    );
    await this.stores.secrets.insertVersion(tx, secretId, version, sealed, actor.label);
  }

  async #requireVersion(tx: Queryable, row: SecretRow, version: number): Promise<void> {
    if (!(await this.stores.secrets.hasVersion(tx, row.id, version)))
      throw notFound(`${this.#uri(row)} has no version ${version}`);
  }

  async #meta(tx: Queryable, row: SecretRow): Promise<SecretMeta> {
    return toMeta(this.deps.org, (await this.stores.secrets.find(tx, row.owner, row.name))!);
  }

  #feedChange(row: SecretRow, event: SecretChangeEvent, version: number | null): FeedChange {
    return {
      uri: this.#uri(row),
      version,
      event,
      owner: row.owner,
      ownerKind: row.owner_kind,
      name: row.name,
    };
  }

  /** Tells subscribers (on every replica) once this transaction commits. */
  #announce(
    tx: Queryable,
    row: SecretRow,
    event: SecretChangeEvent,
    version: number | null,
  ): Promise<void> {
    return this.deps.changes.notify(tx, this.#feedChange(row, event, version));
  }

  #uri(row: Pick<SecretRow, "owner" | "name">): string {
    return secretUri(this.deps.org, row.owner, row.name);
  }

  #scheduled(row: SecretRow) {
    return invalidStatus(
      `${this.#uri(row)} is scheduled for deletion on ${row.deletion_date?.toISOString().slice(0, 10)}; restore it first`,
      { status: row.status },
    );
  }
}
