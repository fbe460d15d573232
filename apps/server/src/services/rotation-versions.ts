/**
 * The secret versions a rotation job reads and writes (SPEC §11), in the caller's transaction
 * with the secret's row locked: the values a rotator step needs (current, previous, pending),
 * the secrets a rotator's settings name (read with its owner's rights now), and the job's
 * `pending` version (generated, given by a callback rotator, or discarded). Never logs a value.
 */
import {
  forbidden,
  generateRandomSecret,
  heldLevel,
  includes,
  invalidStatus,
  notFound,
  parseSecretRef,
} from "@coffer/core";
import { SYSTEM, SYSTEM_META } from "../audit/audit-log.js";
import { changePayload } from "../changes/change-feed.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { JobRow } from "../stores/rotation-job-store.js";
import type { PolicyRow, RotatorRow } from "../stores/rotation-store.js";
import type { SecretRow } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import { rightsOf } from "./principal-rights.js";
import { secretResource } from "./secret-lookup.js";
import { secretUri, versionContext } from "./secret-view.js";
import { feedChange, sealVersion } from "./secret-write-batch.js";

/** Who a rotation job's writes name (`updated_by`, `created_by` of its versions). */
export const ROTATION_ACTOR = "rotation";

/** A secret's values at its stages, for one rotator call (null: no version there). */
export interface RotationValues {
  current: string | null;
  previous: string | null;
  pending: string | null;
}

export type RotationVersionDeps = Pick<Deps, "org" | "keyring" | "changes">;
export type RotationVersionStores = Pick<
  Stores,
  "secrets" | "keys" | "audit" | "rotation" | "principals" | "grants"
>;

export class RotationVersions {
  constructor(
    private readonly deps: RotationVersionDeps,
    private readonly stores: RotationVersionStores,
  ) {}

  /** The value of `version` of the secret; null when there is no such live version. */
  async open(tx: Queryable, secret: SecretRow, version: number | null): Promise<string | null> {
    return (await this.#openAll(tx, secret, [version]))[0]!;
  }

  /** The secret's current, previous and the job's pending value, read in one query. */
  async values(tx: Queryable, secret: SecretRow, job: JobRow): Promise<RotationValues> {
    const pending = job.pending_version === secret.pending_version ? job.pending_version : null;
    const [current, previous, pendingValue] = await this.#openAll(tx, secret, [
      secret.current_version,
      secret.previous_version,
      pending,
    ]);
    return { current: current!, previous: previous!, pending: pendingValue! };
  }

  /** The values of these versions (null where none is asked or none lives), in one query. */
  async #openAll(
    tx: Queryable,
    secret: SecretRow,
    versions: readonly (number | null)[],
  ): Promise<(string | null)[]> {
    const out: (string | null)[] = versions.map(() => null);
    const asked = versions.flatMap((version, at) => (version === null ? [] : [{ version, at }]));
    if (asked.length === 0) return out;
    const rows = await this.stores.secrets.reveal(
      tx,
      asked.map(({ version }) => ({
        owner: secret.owner,
        name: secret.name,
        version,
        stage: null,
      })),
    );
    for (const row of rows) {
      if (row.v_version === null || row.v_protection_key_id === null) continue;
      await this.stores.keys.ensureLoaded(row.v_protection_key_id, tx);
      out[asked[Number(row.i) - 1]!.at] = this.deps.keyring.open(
        {
          protectionKeyId: row.v_protection_key_id,
          wrappedDataKey: row.v_wrapped_data_key!,
          ciphertext: row.v_ciphertext!,
        },
        versionContext(this.deps.org, secret, row.v_version),
      );
    }
    return out;
  }

  /**
   * The current value of a secret a rotator's settings name (`OWNER/NAME`), read for the
   * rotator's owner: the owner must still be able to read it now (rights change), as a request
   * of the owner's would need. Errors name the secret and the field, never a value.
   */
  async named(tx: Queryable, rotator: RotatorRow, ref: string, field: string): Promise<string> {
    const uri = parseSecretRef(ref, { org: this.deps.org, defaultOwner: rotator.owner });
    const row = await this.stores.secrets.find(tx, uri.owner, uri.name);
    const shown = `${uri.owner}/${uri.name}`;
    if (!row) throw notFound(`the secret ${shown} (${field}) of the rotator is gone`, { field });
    const owner = await rightsOf(this.stores, tx, rotator.owner);
    const resource = secretResource(this.deps.org, row.owner, row.owner_kind, row.name);
    if (!includes(heldLevel(owner.principal, resource, owner.grants), "read")) {
      throw forbidden(
        `the rotator's owner ${rotator.owner} can no longer read ${shown} (${field})`,
        {
          field,
          reason: "owner-cannot-read",
        },
      );
    }
    if (row.status !== "enabled") {
      throw invalidStatus(`${shown} (${field}) is ${row.status.replace("_", " ")}`, { field });
    }
    const value = await this.open(tx, row, row.current_version);
    if (value === null) throw invalidStatus(`${shown} (${field}) has no current value`, { field });
    return value;
  }

  /**
   * The job's pending version, generated unless it is there already (a replayed `create`):
   * the whole value, or the current JSON value with the policy's targets replaced.
   */
  async ensurePending(tx: Queryable, job: JobRow, secret: SecretRow): Promise<number> {
    if (job.pending_version !== null && secret.pending_version === job.pending_version) {
      return job.pending_version;
    }
    const policy = await this.#policy(tx, secret);
    return this.writePending(tx, job, secret, await this.#newValue(tx, secret, policy));
  }

  /**
   * `value` as a new version on `pending` for the job (a callback rotator's updatePending, or a
   * generated one); a pending version the job wrote before leaves the stage.
   */
  async writePending(
    tx: Queryable,
    job: JobRow,
    secret: SecretRow,
    value: string,
  ): Promise<number> {
    const uri = this.#uri(secret);
    if (secret.status !== "enabled") {
      throw invalidStatus(`${uri} is ${secret.status.replace("_", " ")}; it does not rotate`);
    }
    const version = secret.last_version + 1;
    const sealed = await sealVersion(this.deps, this.stores.keys, tx, secret, version, value);
    await this.stores.secrets.putVersions(tx, {
      secretId: secret.id,
      maxVersions: secret.max_versions,
      versions: [{ version, sealed, by: ROTATION_ACTOR }],
      state: {
        current_version: secret.current_version,
        previous_version: secret.previous_version,
        pending_version: version,
        last_version: version,
      },
      by: ROTATION_ACTOR,
      auditJson: await this.stores.audit.rowsJson(tx, [
        {
          actor: SYSTEM,
          meta: SYSTEM_META,
          events: {
            action: "rotation.pending",
            resource: uri,
            details: { job: job.id, version, mode: job.mode },
          },
        },
      ]),
      channel: this.deps.changes.channel,
      payloads: [changePayload(feedChange(this.deps.org, secret, "put", version))],
    });
    job.pending_version = version;
    secret.pending_version = version;
    secret.last_version = version;
    return version;
  }

  /** The job's version leaves `pending` (if it is still there). */
  async discardPending(tx: Queryable, job: JobRow, secret: SecretRow): Promise<void> {
    const version = job.pending_version;
    if (version === null || secret.pending_version !== version) return;
    await this.stores.secrets.clearPending(tx, secret.id, version, ROTATION_ACTOR);
    secret.pending_version = null;
    await this.deps.changes.notify(
      tx,
      feedChange(this.deps.org, secret, "stage", secret.current_version),
    );
  }

  async #policy(tx: Queryable, secret: SecretRow): Promise<PolicyRow> {
    const policy = await this.stores.rotation.policy(tx, secret.id);
    if (!policy) throw invalidStatus(`${this.#uri(secret)} has no rotation policy`);
    return policy;
  }

  async #newValue(tx: Queryable, secret: SecretRow, policy: PolicyRow): Promise<string> {
    if (policy.targets.length === 0) return generateRandomSecret(policy.generator);
    const uri = this.#uri(secret);
    const current = await this.open(tx, secret, secret.current_version);
    if (current === null) throw invalidStatus(`${uri} has no current version to rotate targets of`);
    const next = jsonObject(current, uri);
    for (const key of policy.targets) next[key] = generateRandomSecret(policy.generator);
    return JSON.stringify(next);
  }

  #uri(row: Pick<SecretRow, "owner" | "name">): string {
    return secretUri(this.deps.org, row.owner, row.name);
  }
}

/** A value that must be a JSON object (targets are its keys); INVALID_STATUS otherwise. */
export function jsonObject(value: string, uri: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw invalidStatus(
      `the current value of ${uri} is not a JSON object, so its targets cannot be rotated`,
    );
  }
  return { ...(parsed as Record<string, unknown>) };
}
