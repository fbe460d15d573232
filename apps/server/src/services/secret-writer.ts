/**
 * Every change to a secret: create, new versions (with check-and-set), stage moves and
 * rollback, disable/enable, scheduled or forced deletion, restore, description, protection
 * key. Each runs in one transaction that locks the secret's row (writers to one secret queue
 * up; none is lost) and writes its audit event.
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
import { auditRowsJson, insertAuditRowsSql } from "../audit/audit-log.js";
import { audited, type AuditedResult } from "./audited.js";
import {
  addressOf,
  findSecret,
  missing,
  ownerKind,
  secretResource,
  type SecretAddress,
  type SecretRow,
} from "./secret-lookup.js";
import { removeSecret } from "./secret-removal.js";
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

/**
 * A new version, its stages, the pruning of old versions and the audit event, in one
 * statement: the secret's row stays locked for fewer round trips. (The DELETE sees the rows as they were before this
 * statement, which is what it needs: the new version is never old enough to prune.) The change
 * feed's NOTIFY rides in the UPDATE's RETURNING (a data-modifying CTE always runs to the end,
 * a plain SELECT one may be skipped); it is delivered on commit.
 */
const PUT_VERSION = `
  WITH added AS (
    INSERT INTO secret_versions (secret_id, version, protection_key_id, wrapped_data_key, ciphertext, created_by)
    VALUES ($1, $2, $3, $4, $5, $6)
  ), logged AS (
    ${insertAuditRowsSql(8)}
  ), moved AS (
    UPDATE secrets SET
      previous_version = CASE WHEN $7 = 'current' THEN current_version ELSE previous_version END,
      current_version = CASE WHEN $7 = 'current' THEN $2 ELSE current_version END,
      pending_version = CASE WHEN $7 = 'current' THEN pending_version ELSE $2 END,
      last_version = $2, updated_at = now(), updated_by = $6
    WHERE id = $1
    RETURNING current_version, previous_version, pending_version, last_version, max_versions,
      pg_notify($9, $10)
  )
  DELETE FROM secret_versions v USING moved m
  WHERE v.secret_id = $1 AND v.version <= m.last_version - m.max_versions
    AND v.version <> m.current_version
    AND v.version IS DISTINCT FROM m.previous_version
    AND v.version IS DISTINCT FROM m.pending_version`;

export class SecretWriter {
  constructor(private readonly deps: Deps) {}

  async create(actor: Actor, meta: RequestMeta, input: CreateSecretInput): Promise<SecretMeta> {
    const addr = addressOf(input.secret, actor, this.deps.org);
    const uri = secretUri(this.deps.org, addr.owner, addr.name);
    return audited(this.deps, actor, meta, "secret.create", uri, async (tx) => {
      const kind = await ownerKind(tx, addr.owner);
      requireAccess(actor, secretResource(this.deps.org, addr.owner, kind, addr.name), "manage", {
        hideExistence: false,
      });
      const value = valueFrom(input);
      const pkId = await this.deps.protectionKeys.defaultId(tx);
      const inserted = await tx.query<{ id: number }>(
        `INSERT INTO secrets (owner, name, description, protection_key_id, current_version, last_version,
                              created_by, updated_by)
         VALUES ($1, $2, $3, $4, 1, 1, $5, $5)
         ON CONFLICT (owner, name) DO NOTHING RETURNING id`,
        [addr.owner, addr.name, input.description ?? "", pkId, actor.label],
      );
      if (inserted.length === 0)
        throw invalidStatus(`${uri} already exists; put a new version instead`, { uri });
      await this.#insertVersion(tx, inserted[0]!.id, addr, 1, value, pkId, actor);
      const row = (await findSecret(tx, addr.owner, addr.name))!;
      // A reader may have cached "not found" for it: a first version is news too.
      await this.#announce(tx, row, "put", 1);
      return { result: toMeta(this.deps.org, row), details: { version: 1 } };
    });
  }

  async put(actor: Actor, meta: RequestMeta, input: PutSecretInput): Promise<VersionWritten> {
    return this.#change(actor, meta, input.secret, "write", "secret.put", async (tx, row) => {
      if (row.status === "pending_deletion") throw this.#scheduled(row);
      if (input.expectedVersion !== undefined && input.expectedVersion !== row.current_version) {
        throw invalidStatus(
          `check-and-set failed: the current version is ${row.current_version}, not ${input.expectedVersion}`,
          { currentVersion: row.current_version, expectedVersion: input.expectedVersion },
        );
      }
      const value = valueFrom(input);
      const version = row.last_version + 1;
      const stage = input.stage ?? "current";
      await this.deps.protectionKeys.ensureLoaded(row.protection_key_id, tx);
      const sealed = this.deps.keyring.seal(
        value,
        versionContext(this.deps.org, row, version),
        row.protection_key_id,
      );
      // One statement while the row is locked: the version, the stages, and the pruning.
      await tx.query(PUT_VERSION, [
        row.id,
        version,
        sealed.protectionKeyId,
        sealed.wrappedDataKey,
        sealed.ciphertext,
        actor.label,
        stage,
        await auditRowsJson(this.deps, tx, actor, meta, {
          action: "secret.put",
          resource: this.#uri(row),
          details: { version, stage },
        }),
        this.deps.changes.channel,
        changePayload(this.#feedChange(row, "put", version)),
      ]);
      return { result: { uri: this.#uri(row), version, stage }, auditWritten: true };
    });
  }

  async moveStage(actor: Actor, meta: RequestMeta, input: MoveStageInput): Promise<SecretMeta> {
    return this.#change(actor, meta, input.secret, "write", "secret.stage", async (tx, row) => {
      if (row.status === "pending_deletion") throw this.#scheduled(row);
      await this.#requireVersion(tx, row, input.version);
      const v = input.version;
      if (input.stage === "current") {
        if (row.current_version !== v) {
          await tx.query(
            `UPDATE secrets SET previous_version = current_version, current_version = $2,
               pending_version = NULLIF(pending_version, $2), updated_at = now(), updated_by = $3 WHERE id = $1`,
            [row.id, v, actor.label],
          );
        }
      } else if (input.stage === "previous") {
        if (row.current_version === v)
          throw invalidStatus(`version ${v} is current; it cannot also be previous`);
        await this.#setStage(tx, row, "previous_version", v, actor);
      } else {
        if (row.current_version === v) throw invalidStatus(`version ${v} is already current`);
        await this.#setStage(tx, row, "pending_version", v, actor);
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
      await tx.query(
        `UPDATE secrets SET current_version = previous_version, previous_version = current_version,
           updated_at = now(), updated_by = $2 WHERE id = $1`,
        [row.id, actor.label],
      );
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
      await tx.query(
        "UPDATE secrets SET status = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
        [row.id, enabled ? "enabled" : "disabled", actor.label],
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
          await removeSecret(tx, this.deps.org, row.id);
          await this.#announce(tx, row, "delete", null);
          return {
            result: { uri: this.#uri(row), deleted: true as const },
            details: { force: true },
          };
        }
        if (row.status === "pending_deletion") throw this.#scheduled(row);
        const days = input.recoveryDays ?? DEFAULT_RECOVERY_DAYS;
        const when = addDays(this.deps.now(), days);
        await tx.query(
          "UPDATE secrets SET status = 'pending_deletion', deletion_date = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
          [row.id, when, actor.label],
        );
        await this.#announce(tx, row, "delete", row.current_version);
        return { result: await this.#meta(tx, row), details: { recoveryDays: days } };
      },
    );
  }

  async restore(actor: Actor, meta: RequestMeta, input: SecretInput): Promise<SecretMeta> {
    return this.#change(actor, meta, input.secret, "manage", "secret.restore", async (tx, row) => {
      if (row.status !== "pending_deletion")
        throw invalidStatus(`${this.#uri(row)} is not scheduled for deletion`);
      await tx.query(
        "UPDATE secrets SET status = 'enabled', deletion_date = NULL, updated_at = now(), updated_by = $2 WHERE id = $1",
        [row.id, actor.label],
      );
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
        await tx.query(
          "UPDATE secrets SET description = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
          [row.id, input.description, actor.label],
        );
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
        await this.deps.protectionKeys.ensureLoaded(input.protectionKeyId, tx);
        const versions = await tx.query<{
          version: number;
          protection_key_id: string;
          wrapped_data_key: Buffer;
          ciphertext: Buffer;
        }>(
          "SELECT version, protection_key_id, wrapped_data_key, ciphertext FROM secret_versions WHERE secret_id = $1",
          [row.id],
        );
        for (const v of versions) {
          await this.deps.protectionKeys.ensureLoaded(v.protection_key_id, tx);
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
          await tx.query(
            "UPDATE secret_versions SET protection_key_id = $3, wrapped_data_key = $4 WHERE secret_id = $1 AND version = $2",
            [row.id, v.version, moved.protectionKeyId, moved.wrappedDataKey],
          );
        }
        await tx.query(
          "UPDATE secrets SET protection_key_id = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
          [row.id, input.protectionKeyId, actor.label],
        );
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
    return audited(this.deps, actor, meta, action, uri, async (tx) => {
      const row = await findSecret(tx, addr.owner, addr.name, true);
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
    await this.deps.protectionKeys.ensureLoaded(protectionKeyId, tx);
    const sealed = this.deps.keyring.seal(
      value,
      versionContext(this.deps.org, addr, version),
      protectionKeyId,
    );
    await tx.query(
      `INSERT INTO secret_versions (secret_id, version, protection_key_id, wrapped_data_key, ciphertext, created_by)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        secretId,
        version,
        sealed.protectionKeyId,
        sealed.wrappedDataKey,
        sealed.ciphertext,
        actor.label,
      ],
    );
  }

  async #requireVersion(tx: Queryable, row: SecretRow, version: number): Promise<void> {
    const [found] = await tx.query(
      "SELECT 1 FROM secret_versions WHERE secret_id = $1 AND version = $2",
      [row.id, version],
    );
    if (!found) throw notFound(`${this.#uri(row)} has no version ${version}`);
  }

  async #setStage(
    tx: Queryable,
    row: SecretRow,
    column: "previous_version" | "pending_version",
    version: number,
    actor: Actor,
  ): Promise<void> {
    await tx.query(
      `UPDATE secrets SET ${column} = $2, updated_at = now(), updated_by = $3 WHERE id = $1`,
      [row.id, version, actor.label],
    );
  }

  async #meta(tx: Queryable, row: SecretRow): Promise<SecretMeta> {
    return toMeta(this.deps.org, (await findSecret(tx, row.owner, row.name))!);
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
