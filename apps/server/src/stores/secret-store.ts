/**
 * The secret store: secrets and their versions (`secrets`, `secret_versions`). The only module
 * that names these tables. Every function runs on the Queryable it is given (a writer's
 * transaction, which has locked the secret's row, or the database).
 */
import type { SecretStatus } from "@coffer/core";
import type { Queryable } from "../db/database.js";
import { insertAuditRowsSql } from "../audit/audit-log.js";
import { outboxFromPayloads } from "./delivery-store.js";
import { grantStore, joinOwner } from "./principal-store.js";

export interface SecretRow {
  id: number;
  owner: string;
  owner_kind: "user" | "team";
  name: string;
  description: string;
  protection_key_id: string;
  status: SecretStatus;
  deletion_date: Date | null;
  current_version: number;
  previous_version: number | null;
  pending_version: number | null;
  last_version: number;
  max_versions: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  updated_by: string;
}

/** A secret with the version a reveal chose (none when it has no such version). */
export interface RevealRow extends SecretRow {
  v_version: number | null;
  v_protection_key_id: string | null;
  v_wrapped_data_key: Buffer | null;
  v_ciphertext: Buffer | null;
}

export interface RevealTarget {
  owner: string;
  name: string;
  version: number | null;
  stage: string | null;
}

/** A version's value as stored: sealed under a protection key. */
export interface SealedVersion {
  protectionKeyId: string;
  wrappedDataKey: Buffer;
  ciphertext: Buffer;
}

export interface RemovedSecret {
  owner: string;
  owner_kind: "user" | "team";
  name: string;
  uri: string;
}

const SECRET_COLUMNS = `s.id, s.owner, p.kind AS owner_kind, s.name, s.description, s.protection_key_id,
  s.status, s.deletion_date, s.current_version, s.previous_version, s.pending_version, s.last_version,
  s.max_versions, s.created_at, s.created_by, s.updated_at, s.updated_by`;

/** One query for many (owner, name, version?, stage?) targets, with the chosen version. */
const REVEAL_QUERY = `
  SELECT t.i, ${SECRET_COLUMNS}, v.version AS v_version, v.protection_key_id AS v_protection_key_id,
         v.wrapped_data_key AS v_wrapped_data_key, v.ciphertext AS v_ciphertext
  FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) WITH ORDINALITY AS t(owner, name, version, stage, i)
  JOIN secrets s ON s.owner = t.owner AND s.name = t.name
  ${joinOwner("p", "s.owner")}
  LEFT JOIN secret_versions v ON v.secret_id = s.id AND v.version = COALESCE(t.version,
    CASE t.stage WHEN 'previous' THEN s.previous_version WHEN 'pending' THEN s.pending_version
                 ELSE s.current_version END)`;

/** Versions of secret `$1` past its `max_versions` and held by no stage, `m` its row. */
const PRUNABLE = `v.secret_id = $1 AND v.version <= m.last_version - m.max_versions
    AND v.version <> m.current_version
    AND v.version IS DISTINCT FROM m.previous_version
    AND v.version IS DISTINCT FROM m.pending_version`;

/**
 * A batch of new versions of one secret, their audit events, the secret's stages after them
 * and the pruning, in one statement: the secret's row (locked by the caller) stays locked for
 * fewer round trips. Values are hex (one encoding on both engines). The change feed's NOTIFYs,
 * one per version in order, ride in the UPDATE's RETURNING (a data-modifying CTE always runs
 * to the end, a plain SELECT one may be skipped); they are delivered on commit. The same
 * payloads go into the hooks' outbox (delivery-store.ts). The DELETE
 * sees the versions as they were before this statement: see putVersions for the rest.
 */
const PUT_VERSIONS = `
  WITH added AS (
    INSERT INTO secret_versions (secret_id, version, protection_key_id, wrapped_data_key, ciphertext, created_by)
    SELECT $1, n.version, n.key_id, decode(n.wrapped, 'hex'), decode(n.cipher, 'hex'), n.by
    FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[]) AS n(version, key_id, wrapped, cipher, by)
  ), logged AS (
    ${insertAuditRowsSql(7)}
  ), outbox AS (
    ${outboxFromPayloads(14)}
  ), moved AS (
    UPDATE secrets SET current_version = $8, previous_version = $9::int, pending_version = $10::int,
      last_version = $11, updated_at = now(), updated_by = $12
    WHERE id = $1
    RETURNING current_version, previous_version, pending_version, last_version, max_versions,
      (SELECT count(pg_notify($13, p.payload)) FROM unnest($14::text[]) AS p(payload)) AS notified
  )
  DELETE FROM secret_versions v USING moved m WHERE ${PRUNABLE}`;

const PRUNE = `DELETE FROM secret_versions v USING secrets m WHERE m.id = $1 AND ${PRUNABLE}`;

/**
 * New secrets (each at version 1, its version inserted apart), in (owner, name) order: two
 * transactions creating the same names wait for each other in one order, never both ways.
 * Returns the rows made; a name that exists (or that a concurrent transaction made first)
 * returns none.
 */
const INSERT_SECRETS = `
  WITH made AS (
    INSERT INTO secrets (owner, name, description, protection_key_id, current_version, last_version,
                         created_by, updated_by)
    SELECT n.owner, n.name, n.description, n.key_id, 1, 1, n.by, n.by
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
      AS n(owner, name, description, key_id, by)
    ORDER BY n.owner, n.name
    ON CONFLICT (owner, name) DO NOTHING
    RETURNING *
  )
  SELECT ${SECRET_COLUMNS} FROM made s ${joinOwner("p", "s.owner")}`;

/**
 * The first versions of new secrets, their audit events, the change feed's NOTIFYs (in
 * order) and the hooks' outbox rows, in one statement: the NOTIFYs are the main SELECT, which always runs; the inserts are
 * data-modifying CTEs, which always run to the end.
 */
const FIRST_VERSIONS = `
  WITH added AS (
    INSERT INTO secret_versions (secret_id, version, protection_key_id, wrapped_data_key, ciphertext, created_by)
    SELECT n.secret_id, 1, n.key_id, decode(n.wrapped, 'hex'), decode(n.cipher, 'hex'), n.by
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
      AS n(secret_id, key_id, wrapped, cipher, by)
  ), logged AS (
    ${insertAuditRowsSql(6)}
  ), outbox AS (
    ${outboxFromPayloads(8)}
  )
  SELECT count(pg_notify($7, p.payload)) AS notified FROM unnest($8::text[]) AS p(payload)`;

/** A new version to store (see putVersions). */
export interface NewVersion {
  version: number;
  sealed: SealedVersion;
  by: string;
}

/** The stages and last version of a secret after a batch of new versions. */
export interface VersionState {
  current_version: number;
  previous_version: number | null;
  pending_version: number | null;
  last_version: number;
}

/**
 * The protection key ids, wrapped data keys, ciphertexts and authors of new versions, as four
 * array parameters; bytes as hex (one encoding on both engines).
 */
function sealedColumns(vs: readonly { sealed: SealedVersion; by: string }[]): string[][] {
  const hex = (b: Buffer) => b.toString("hex");
  return [
    vs.map((v) => v.sealed.protectionKeyId),
    vs.map((v) => hex(v.sealed.wrappedDataKey)),
    vs.map((v) => hex(v.sealed.ciphertext)),
    vs.map((v) => v.by),
  ];
}

export const secretUri = (org: string, owner: string, name: string): string =>
  `secret://${org}/${owner}/${name}`;

/**
 * The one way a secret leaves storage, used by a forced delete and by the purge of deletions
 * past their window: its row and versions go, and so does everything keyed by its URI (the
 * grants that name it exactly), so that a secret re-created under the same name starts with no
 * one's access but its owner's. Runs in the caller's transaction.
 *
 * What stays: grants on `secret://org/owner/*` (they name the owner's secrets, not this one),
 * token and trust-policy scopes that name the URI (a scope only narrows what its owner holds),
 * and the audit trail (append-only; where-used counts only reads since the secret was made).
 * `where` is a condition on `secrets`, parameters from $1.
 */
async function removeWhere(
  tx: Queryable,
  org: string,
  where: string,
  params: readonly unknown[],
): Promise<RemovedSecret[]> {
  const rows = await tx.query<{ owner: string; owner_kind: "user" | "team"; name: string }>(
    `WITH gone AS (DELETE FROM secrets WHERE ${where} RETURNING owner, name)
     SELECT g.owner, p.kind AS owner_kind, g.name FROM gone g ${joinOwner("p", "g.owner")}`,
    params,
  );
  const removed = rows.map((r) => ({ ...r, uri: secretUri(org, r.owner, r.name) }));
  if (removed.length > 0)
    await grantStore.removeOn(
      tx,
      removed.map((r) => r.uri),
    );
  return removed;
}

/** Sets columns of one secret and its `updated_at`/`updated_by`: `set` uses $2…, by is last. */
async function update(
  q: Queryable,
  id: number,
  set: string,
  params: readonly unknown[],
  by: string,
): Promise<void> {
  await q.query(
    `UPDATE secrets SET ${set}, updated_at = now(), updated_by = $${params.length + 2} WHERE id = $1`,
    [id, ...params, by],
  );
}

export const secretStore = {
  /** The secret row, locked for update when `lock` (writers serialise on it). */
  async find(
    q: Queryable,
    owner: string,
    name: string,
    lock = false,
  ): Promise<SecretRow | undefined> {
    const [row] = await q.query<SecretRow>(
      `SELECT ${SECRET_COLUMNS} FROM secrets s ${joinOwner("p", "s.owner")}
     WHERE s.owner = $1 AND s.name = $2${lock ? " FOR UPDATE OF s" : ""}`,
      [owner, name],
    );
    return row;
  },

  /** The secret row by id, locked for update when `lock` (a rotation job's step). */
  async byId(q: Queryable, id: number, lock = false): Promise<SecretRow | undefined> {
    const [row] = await q.query<SecretRow>(
      `SELECT ${SECRET_COLUMNS} FROM secrets s ${joinOwner("p", "s.owner")}
     WHERE s.id = $1${lock ? " FOR UPDATE OF s" : ""}`,
      [id],
    );
    return row;
  },

  /**
   * The rows of several secrets, locked for update in one statement in the order of their ids,
   * so that two transactions locking overlapping sets wait for each other in one order and
   * never deadlock. Secrets that do not exist are not returned.
   */
  lockMany(q: Queryable, refs: readonly { owner: string; name: string }[]): Promise<SecretRow[]> {
    return q.query<SecretRow>(
      `SELECT ${SECRET_COLUMNS} FROM secrets s ${joinOwner("p", "s.owner")}
       WHERE (s.owner, s.name) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       ORDER BY s.id FOR UPDATE OF s`,
      [refs.map((r) => r.owner), refs.map((r) => r.name)],
    );
  },

  /**
   * A page of the secrets of `owners`, by (owner, name), after `after`, names starting with
   * `prefix`. Each owner is read as one index range (a LATERAL per owner, the cursor a bound on
   * the name, the prefix as `[prefix, prefix || '~')` beside the exact LIKE), so a page costs
   * the same at 100,000 secrets as at 1,000 on both engines; `~` sorts after every character
   * a name may hold under the column's byte order (`COLLATE "C"`, migration 004).
   */
  page(
    q: Queryable,
    owners: readonly string[],
    prefix: string,
    after: readonly [string, string] | readonly string[],
    limit: number,
  ): Promise<SecretRow[]> {
    return q.query<SecretRow>(
      `SELECT ${SECRET_COLUMNS}
         FROM (SELECT DISTINCT u.owner FROM unnest($1::text[]) AS u(owner)) o
         CROSS JOIN LATERAL (
           SELECT * FROM secrets s
           WHERE s.owner = o.owner AND s.name >= $2 AND s.name < $2 || '~'
             AND s.name LIKE $3 || '%' AND s.name > CASE WHEN o.owner = $4 THEN $5 ELSE '' END
           ORDER BY s.name LIMIT $6) s
         ${joinOwner("p", "s.owner")}
         WHERE o.owner >= $4
         ORDER BY s.owner, s.name LIMIT $6`,
      [owners, prefix, prefix.replace(/[\\%_]/g, (c) => `\\${c}`), after[0], after[1], limit],
    );
  },

  /** The rows of many reveals in one round trip; `i` is the target's place, from 1. */
  reveal(q: Queryable, targets: readonly RevealTarget[]): Promise<(RevealRow & { i: number })[]> {
    return q.query<RevealRow & { i: number }>(REVEAL_QUERY, [
      targets.map((t) => t.owner),
      targets.map((t) => t.name),
      targets.map((t) => t.version),
      targets.map((t) => t.stage),
    ]);
  },

  /** New secrets at version 1 (see INSERT_SECRETS): the rows of those made. */
  insertMany(
    q: Queryable,
    secrets: readonly {
      owner: string;
      name: string;
      description: string;
      protectionKeyId: string;
      by: string;
    }[],
  ): Promise<SecretRow[]> {
    return q.query<SecretRow>(INSERT_SECRETS, [
      secrets.map((s) => s.owner),
      secrets.map((s) => s.name),
      secrets.map((s) => s.description),
      secrets.map((s) => s.protectionKeyId),
      secrets.map((s) => s.by),
    ]);
  },

  /** The first versions of secrets insertMany made, with audit rows and NOTIFYs (see FIRST_VERSIONS). */
  async firstVersions(
    q: Queryable,
    first: {
      versions: readonly { secretId: number; sealed: SealedVersion; by: string }[];
      auditJson: string;
      channel: string;
      payloads: readonly string[];
    },
  ): Promise<void> {
    await q.query(FIRST_VERSIONS, [
      first.versions.map((v) => v.secretId),
      ...sealedColumns(first.versions),
      first.auditJson,
      first.channel,
      first.payloads,
    ]);
  },

  /**
   * New versions of one secret (in order, consecutive), its stages after them (`state`), their
   * audit rows (`auditJson`, see audit-log.ts), the change feed's NOTIFYs on `channel` and the
   * pruning; in the caller's transaction, which has locked the row (`maxVersions` is its
   * column). A batch of more than `maxVersions` versions has some of its own to prune, which
   * the one statement cannot see: a second statement prunes them.
   */
  async putVersions(
    q: Queryable,
    put: {
      secretId: number;
      maxVersions: number;
      versions: readonly NewVersion[];
      state: VersionState;
      by: string;
      auditJson: string;
      channel: string;
      payloads: readonly string[];
    },
  ): Promise<void> {
    const { versions: vs, state } = put;
    await q.query(PUT_VERSIONS, [
      put.secretId,
      vs.map((v) => v.version),
      ...sealedColumns(vs),
      put.auditJson,
      state.current_version,
      state.previous_version,
      state.pending_version,
      state.last_version,
      put.by,
      put.channel,
      put.payloads,
    ]);
    if (vs.length > put.maxVersions) await q.query(PRUNE, [put.secretId]);
  },

  /** Owner and name of the secrets with these ids (those that exist), by owner and name. */
  namesOf(q: Queryable, ids: readonly number[]): Promise<{ owner: string; name: string }[]> {
    return q.query<{ owner: string; name: string }>(
      "SELECT owner, name FROM secrets WHERE id = ANY($1::bigint[]) ORDER BY owner, name",
      [ids],
    );
  },

  async hasVersion(q: Queryable, secretId: number, version: number): Promise<boolean> {
    const [found] = await q.query(
      "SELECT 1 FROM secret_versions WHERE secret_id = $1 AND version = $2",
      [secretId, version],
    );
    return found !== undefined;
  },

  versions(
    q: Queryable,
    secretId: number,
  ): Promise<{ version: number; created_at: Date; created_by: string }[]> {
    return q.query<{ version: number; created_at: Date; created_by: string }>(
      "SELECT version, created_at, created_by FROM secret_versions WHERE secret_id = $1 ORDER BY version DESC",
      [secretId],
    );
  },

  sealedVersions(
    q: Queryable,
    secretId: number,
  ): Promise<
    { version: number; protection_key_id: string; wrapped_data_key: Buffer; ciphertext: Buffer }[]
  > {
    return q.query(
      "SELECT version, protection_key_id, wrapped_data_key, ciphertext FROM secret_versions WHERE secret_id = $1",
      [secretId],
    );
  },

  async rewrapVersion(
    q: Queryable,
    secretId: number,
    version: number,
    protectionKeyId: string,
    wrappedDataKey: Buffer,
  ): Promise<void> {
    await q.query(
      "UPDATE secret_versions SET protection_key_id = $3, wrapped_data_key = $4 WHERE secret_id = $1 AND version = $2",
      [secretId, version, protectionKeyId, wrappedDataKey],
    );
  },

  /** `version` becomes current, the current one previous (and leaves pending if it was). */
  async makeCurrent(q: Queryable, id: number, version: number, by: string): Promise<void> {
    await q.query(
      `UPDATE secrets SET previous_version = current_version, current_version = $2,
               pending_version = NULLIF(pending_version, $2), updated_at = now(), updated_by = $3 WHERE id = $1`,
      [id, version, by],
    );
  },

  setStage(
    q: Queryable,
    id: number,
    column: "previous_version" | "pending_version",
    version: number,
    by: string,
  ): Promise<void> {
    return update(q, id, `${column} = $2`, [version], by);
  },

  /** `version` leaves the pending stage, if it holds it (a rotation job discarding its value). */
  async clearPending(q: Queryable, id: number, version: number, by: string): Promise<boolean> {
    const rows = await q.query(
      `UPDATE secrets SET pending_version = NULL, updated_at = now(), updated_by = $3
       WHERE id = $1 AND pending_version = $2 RETURNING id`,
      [id, version, by],
    );
    return rows.length > 0;
  },

  /** previous → current, and the old current becomes previous. */
  async rollback(q: Queryable, id: number, by: string): Promise<void> {
    await q.query(
      `UPDATE secrets SET current_version = previous_version, previous_version = current_version,
           updated_at = now(), updated_by = $2 WHERE id = $1`,
      [id, by],
    );
  },

  setStatus(q: Queryable, id: number, status: "enabled" | "disabled", by: string): Promise<void> {
    return update(q, id, "status = $2", [status], by);
  },

  async scheduleDeletion(q: Queryable, id: number, when: Date, by: string): Promise<void> {
    await q.query(
      "UPDATE secrets SET status = 'pending_deletion', deletion_date = $2, updated_at = now(), updated_by = $3 WHERE id = $1",
      [id, when, by],
    );
  },

  async restore(q: Queryable, id: number, by: string): Promise<void> {
    await q.query(
      "UPDATE secrets SET status = 'enabled', deletion_date = NULL, updated_at = now(), updated_by = $2 WHERE id = $1",
      [id, by],
    );
  },

  setDescription(q: Queryable, id: number, description: string, by: string): Promise<void> {
    return update(q, id, "description = $2", [description], by);
  },

  setProtectionKey(q: Queryable, id: number, protectionKeyId: string, by: string): Promise<void> {
    return update(q, id, "protection_key_id = $2", [protectionKeyId], by);
  },

  /** Deletes one secret now (forced delete). */
  async remove(q: Queryable, org: string, id: number): Promise<void> {
    await removeWhere(q, org, "id = $1", [id]);
  },

  /** Deletes every secret whose recovery window ended by `now` (the purge job). */
  purgeDeleted(q: Queryable, org: string, now: Date): Promise<RemovedSecret[]> {
    return removeWhere(q, org, "status = 'pending_deletion' AND deletion_date <= $1", [now]);
  },
};

export type SecretStore = typeof secretStore;
