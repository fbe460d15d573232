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
} from "@coffer/core";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { audited } from "./audited.js";
import { accessKeyContext, type AccessKeyRow } from "../stores/credential-store.js";
import type { Stores } from "../stores/stores.js";
import { CredentialIssuer, type CredentialTable } from "./credential-issuer.js";

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

const kindOf = (row: AccessKeyRow): "personal" | "shared" =>
  row.owner_kind === "user" ? "personal" : "shared";

export class AccessKeyService {
  readonly #issuer: CredentialIssuer;

  constructor(
    private readonly deps: Pick<
      Deps,
      "db" | "log" | "credentialCache" | "org" | "config" | "now" | "keyring"
    >,
    private readonly stores: Pick<
      Stores,
      "credentials" | "principals" | "grants" | "keys" | "audit"
    >,
  ) {
    this.#issuer = new CredentialIssuer(deps, stores);
  }

  async create(
    actor: Actor,
    meta: RequestMeta,
    input: CreateAccessKeyInput,
  ): Promise<{ id: string; secret: string; expiresAt: string }> {
    return audited(this.deps, this.stores, actor, meta, "access-key.create", null, async (tx) => {
      const plan = await this.#issuer.plan(tx, actor, input, "access key");
      const key = mintAccessKey();
      const pkId = await this.stores.keys.defaultId(tx);
      const sealed = this.deps.keyring.seal(
        key.secret,
        accessKeyContext(this.deps.org, key.accessKeyId),
        pkId,
      );
      await this.stores.credentials.insertAccessKey(tx, {
        id: key.accessKeyId,
        name: input.name,
        ownerKind: plan.ownerKind,
        owner: plan.owner,
        scopes: plan.scopes,
        sealed,
        createdBy: actor.label,
        expiresAt: plan.expiresAt,
        createdAt: plan.createdAt,
      });
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
    const rows = await this.stores.credentials.accessKeys(this.deps.db);
    return rows
      .filter((r) => this.#issuer.mayManage(actor, { kind: kindOf(r), owner: r.owner }))
      .map(toInfo);
  }

  async disable(actor: Actor, meta: RequestMeta, input: AccessKeyIdInput): Promise<AccessKeyInfo> {
    return this.#update(actor, meta, input.id, "access-key.disable", async (tx, row) => {
      if (row.disabled_at !== null) throw invalidStatus(`access key ${row.id} is already disabled`);
      await this.stores.credentials.disable(tx, "access-key", row.id, this.deps.now());
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
