/**
 * Access keys for signed requests (SPEC §4): an id (`cfk_…`) and a secret (`cfs_…`) shown
 * once. The server must hold the secret to check HMACs, so it keeps it sealed like a secret
 * value, under an owner name no principal can have (`~access-key`), never in clear.
 */
import {
  invalidStatus,
  mintAccessKey,
  type AccessKeyIdInput,
  type CreateAccessKeyInput,
  type TokenScope,
  type VersionContext,
} from "@coffer/core";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { audited } from "./audited.js";
import { CredentialIssuer, type CredentialTable } from "./credential-issuer.js";

/** Not a valid user or team name, so no secret's additional data can be the same. */
export const ACCESS_KEY_OWNER = "~access-key";

export const accessKeyContext = (org: string, id: string): VersionContext => ({
  org,
  owner: ACCESS_KEY_OWNER,
  name: id,
  version: 1,
});

export interface AccessKeyInfo {
  id: string;
  name: string;
  kind: "personal" | "shared";
  ownerKind: "user" | "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  disabledAt: string | null;
}

interface AccessKeyRow {
  id: string;
  name: string;
  owner_kind: "user" | "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  created_at: Date;
  created_by: string;
  expires_at: Date;
  disabled_at: Date | null;
}

const COLUMNS =
  "id, name, owner_kind, owner, scopes, created_at, created_by, expires_at, disabled_at";
const kindOf = (row: AccessKeyRow): "personal" | "shared" =>
  row.owner_kind === "user" ? "personal" : "shared";

export class AccessKeyService {
  readonly #issuer: CredentialIssuer;

  constructor(private readonly deps: Deps) {
    this.#issuer = new CredentialIssuer(deps);
  }

  async create(
    actor: Actor,
    meta: RequestMeta,
    input: CreateAccessKeyInput,
  ): Promise<{ id: string; secret: string; expiresAt: string }> {
    return audited(this.deps, actor, meta, "access-key.create", null, async (tx) => {
      const plan = await this.#issuer.plan(tx, actor, input, "access key");
      const key = mintAccessKey();
      const pkId = await this.deps.protectionKeys.defaultId(tx);
      const sealed = this.deps.keyring.seal(
        key.secret,
        accessKeyContext(this.deps.org, key.accessKeyId),
        pkId,
      );
      await tx.query(
        `INSERT INTO access_keys (id, name, owner_kind, owner, scopes, protection_key_id, wrapped_data_key,
                                  ciphertext, created_by, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          key.accessKeyId,
          input.name,
          plan.ownerKind,
          plan.owner,
          JSON.stringify(plan.scopes),
          sealed.protectionKeyId,
          sealed.wrappedDataKey,
          sealed.ciphertext,
          actor.label,
          plan.expiresAt,
          plan.createdAt,
        ],
      );
      return {
        result: {
          id: key.accessKeyId,
          secret: key.secret,
          expiresAt: plan.expiresAt.toISOString(),
        },
        resource: `access-key:${key.accessKeyId}`,
        details: { name: input.name, scopes: plan.scopes.length },
      };
    });
  }

  async list(actor: Actor): Promise<AccessKeyInfo[]> {
    this.#issuer.requireFullCredential(actor, "access key");
    const rows = await this.deps.db.query<AccessKeyRow>(
      `SELECT ${COLUMNS} FROM access_keys ORDER BY created_at, id`,
    );
    return rows
      .filter((r) => this.#issuer.mayManage(actor, { kind: kindOf(r), owner: r.owner }))
      .map(toInfo);
  }

  async disable(actor: Actor, meta: RequestMeta, input: AccessKeyIdInput): Promise<AccessKeyInfo> {
    return this.#update(actor, meta, input.id, "access-key.disable", async (tx, row) => {
      if (row.disabled_at !== null) throw invalidStatus(`access key ${row.id} is already disabled`);
      await tx.query("UPDATE access_keys SET disabled_at = $2 WHERE id = $1", [
        row.id,
        this.deps.now(),
      ]);
    });
  }

  remove(
    actor: Actor,
    meta: RequestMeta,
    input: AccessKeyIdInput,
  ): Promise<{ id: string; deleted: true }> {
    return this.#issuer.remove(actor, meta, this.#table, input.id, "access-key.delete");
  }

  #update(
    actor: Actor,
    meta: RequestMeta,
    id: string,
    action: string,
    change: (tx: Queryable, row: AccessKeyRow) => Promise<void>,
  ): Promise<AccessKeyInfo> {
    return this.#issuer.update(actor, meta, this.#table, id, action, change);
  }

  readonly #table: CredentialTable<AccessKeyRow, AccessKeyInfo> = {
    table: "access_keys",
    columns: COLUMNS,
    what: "access key",
    resource: "access-key",
    kindOf,
    toInfo,
  };
}

function toInfo(r: AccessKeyRow): AccessKeyInfo {
  return {
    id: r.id,
    name: r.name,
    kind: kindOf(r),
    ownerKind: r.owner_kind,
    owner: r.owner,
    scopes: r.scopes,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    expiresAt: r.expires_at.toISOString(),
    disabledAt: r.disabled_at?.toISOString() ?? null,
  };
}
