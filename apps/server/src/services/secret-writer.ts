/**
 * Every change to a secret: create, new versions (with check-and-set), stage moves and
 * rollback, disable/enable, scheduled or forced deletion, restore, description, protection
 * key. Each runs in one transaction that locks the secret's row (writers to one secret queue
 * up; none is lost) and writes its audit event. Creates and puts arriving together, to any
 * secrets, share one such transaction (see #write and secret-write-batch.ts).
 */
import {
  acceptedJobEvents,
  DEFAULT_RECOVERY_DAYS,
  invalidRequest,
  invalidStatus,
  notFound,
  type CreateSecretInput,
  type DeleteSecretInput,
  type DescriptionInput,
  type DisableSecretInput,
  type Level,
  type MoveStageInput,
  type ProtectionKeyChangeInput,
  type PutSecretInput,
  type SecretChangeEvent,
  type SecretInput,
} from "@coffer/core";
import { requireAccess } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { addDays } from "../time.js";
import { audited, auditFailure, type AuditedResult } from "./audited.js";
import type { SecretRow } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import type { RotationJobEngine } from "./rotation-job-engine.js";
import { requireNoActiveJob } from "./rotation-job-service.js";
import { addressOf, missing, secretResource } from "./secret-lookup.js";
import { secretUri, toMeta, versionContext, type SecretMeta } from "./secret-view.js";
import { inUse, inUseError, usedBy } from "./secret-used-by.js";
import {
  feedChange,
  scheduled,
  SecretWriteBatches,
  type VersionWritten,
  type Write,
  type WriteOutcome,
} from "./secret-write-batch.js";

export type { VersionWritten };

export class SecretWriter {
  readonly #writes: SecretWriteBatches;

  constructor(
    private readonly deps: Pick<
      Deps,
      "db" | "log" | "credentialCache" | "org" | "keyring" | "changes" | "now"
    >,
    private readonly stores: Pick<
      Stores,
      "secrets" | "principals" | "keys" | "audit" | "rotationJobs" | "hooks" | "rotation"
    >,
    /** Scheduling a deletion cancels the secret's active rotation job (SPEC §11). */
    private readonly rotation?: RotationJobEngine,
  ) {
    this.#writes = new SecretWriteBatches(deps, stores);
  }

  /** A new secret at version 1: goes with other writes in one transaction (see #write). */
  async create(actor: Actor, meta: RequestMeta, input: CreateSecretInput): Promise<SecretMeta> {
    const addr = addressOf(input.secret, actor, this.deps.org);
    const write: Write = { kind: "create", actor, meta, owner: addr.owner, name: addr.name, input };
    return (await this.#write(write, "secret.create")) as SecretMeta;
  }

  /** A new version: goes with other writes in one transaction (see #write). */
  async put(actor: Actor, meta: RequestMeta, input: PutSecretInput): Promise<VersionWritten> {
    const addr = addressOf(input.secret, actor, this.deps.org);
    const write: Write = { kind: "put", actor, meta, owner: addr.owner, name: addr.name, input };
    return (await this.#write(write, "secret.put")) as VersionWritten;
  }

  /**
   * Creates and puts of any secrets arriving together share one transaction
   * (secret-write-batch.ts); each caller gets its own result. A write refused or failed is
   * audited as audited() audits it, and fails alone unless the database failed.
   */
  async #write(write: Write, action: string): Promise<VersionWritten | SecretMeta> {
    let outcome: WriteOutcome;
    try {
      outcome = await this.#writes.call(write);
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (outcome.ok) return outcome.value;
    const uri = secretUri(this.deps.org, write.owner, write.name);
    await auditFailure(this.deps, this.stores, write.actor, write.meta, action, uri, outcome.error);
    throw outcome.error;
  }

  async moveStage(actor: Actor, meta: RequestMeta, input: MoveStageInput): Promise<SecretMeta> {
    return this.#change(actor, meta, input.secret, "write", "secret.stage", async (tx, row) => {
      if (row.status === "pending_deletion") throw scheduled(this.deps.org, row);
      await requireNoActiveJob(this.stores.rotationJobs, tx, this.deps.org, row);
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
      if (row.status === "pending_deletion") throw scheduled(this.deps.org, row);
      await requireNoActiveJob(this.stores.rotationJobs, tx, this.deps.org, row);
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
    input: DisableSecretInput,
    enabled: boolean,
  ): Promise<SecretMeta> {
    const action = enabled ? "secret.enable" : "secret.disable";
    return this.#change(actor, meta, input.secret, "write", action, async (tx, row) => {
      if (row.status === "pending_deletion") throw scheduled(this.deps.org, row);
      if (!enabled && input.acknowledgeUsedBy !== true) {
        await this.#refuseInUse(tx, actor, row, "disable");
      }
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
        if (input.acknowledgeUsedBy !== true) await this.#refuseInUse(tx, actor, row, "delete");
        if (input.force) {
          await this.stores.secrets.remove(tx, this.deps.org, row.id);
          await this.#announce(tx, row, "delete", null);
          return {
            result: { uri: this.#uri(row), deleted: true as const },
            details: { force: true },
          };
        }
        if (row.status === "pending_deletion") throw scheduled(this.deps.org, row);
        const days = input.recoveryDays ?? DEFAULT_RECOVERY_DAYS;
        const when = addDays(this.deps.now(), days);
        await this.stores.secrets.scheduleDeletion(tx, row.id, when, actor.label);
        const cancelled = await this.#cancelActiveJob(tx, row);
        await this.#announce(tx, row, "delete", row.current_version);
        return {
          result: await this.#meta(tx, row),
          details: { recoveryDays: days, ...(cancelled ? { cancelledJob: cancelled } : {}) },
        };
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

  /**
   * Applies `cancel` to the secret's active rotation job, if it has one that takes it (a job
   * already ending, e.g. reverting to fail, goes on to its end); returns the job's id.
   */
  async #cancelActiveJob(tx: Queryable, row: SecretRow): Promise<string | undefined> {
    const job = await this.stores.rotationJobs.active(tx, row.id, true);
    if (!job || !this.rotation || !acceptedJobEvents(job.phase).includes("cancel")) return;
    await this.rotation.apply(tx, job, row, { type: "cancel" });
    return job.id;
  }

  /** Refuses (INVALID_STATUS, naming them) while hooks, automations or rotators name the secret. */
  async #refuseInUse(
    tx: Queryable,
    actor: Actor,
    row: SecretRow,
    doing: "delete" | "disable",
  ): Promise<void> {
    const view = await usedBy(this.deps.org, this.stores, tx, actor, row);
    if (inUse(view)) throw inUseError(view, doing);
  }

  async #requireVersion(tx: Queryable, row: SecretRow, version: number): Promise<void> {
    if (!(await this.stores.secrets.hasVersion(tx, row.id, version)))
      throw notFound(`${this.#uri(row)} has no version ${version}`);
  }

  async #meta(tx: Queryable, row: SecretRow): Promise<SecretMeta> {
    return toMeta(this.deps.org, (await this.stores.secrets.find(tx, row.owner, row.name))!);
  }

  /** Tells subscribers (on every replica) once this transaction commits. */
  #announce(
    tx: Queryable,
    row: SecretRow,
    event: SecretChangeEvent,
    version: number | null,
  ): Promise<void> {
    return this.deps.changes.notify(tx, feedChange(this.deps.org, row, event, version));
  }

  #uri(row: Pick<SecretRow, "owner" | "name">): string {
    return secretUri(this.deps.org, row.owner, row.name);
  }
}
