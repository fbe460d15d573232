/**
 * The key store: protection keys as stored (wrapped by the root key) and as held (in the
 * keyring), and the org row (its name, and the protection key its audit keys derive from). A
 * key made by another replica is loaded on first use. The only module that names the
 * `protection_keys` and `org` tables.
 */
import { CofferError, type Keyring, type StoredProtectionKey } from "@coffer/core";
import type { Database, Queryable } from "../db/database.js";

export interface ProtectionKeyInfo {
  id: string;
  rootKeyId: string;
  isDefault: boolean;
  createdAt: Date;
}

export class ProtectionKeyStore {
  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
  ) {}

  /** Loads every stored key (at start); a key the root keys cannot open fails the start. */
  async loadAll(): Promise<void> {
    for (const stored of await this.#stored(this.db)) this.keyring.loadProtectionKey(stored);
  }

  async ensureLoaded(id: string, q: Queryable = this.db): Promise<void> {
    if (this.keyring.hasProtectionKey(id)) return;
    const [stored] = await this.#stored(q, id);
    if (!stored) throw new CofferError("NOT_FOUND", `no protection key ${id}`);
    this.keyring.loadProtectionKey(stored);
  }

  async defaultId(q: Queryable = this.db): Promise<string> {
    const [row] = await q.query<{ id: string }>("SELECT id FROM protection_keys WHERE is_default");
    if (!row) throw new CofferError("INTERNAL_SERVER_ERROR", "no default protection key");
    await this.ensureLoaded(row.id, q);
    return row.id;
  }

  async create(q: Queryable, isDefault = false): Promise<string> {
    const stored = this.keyring.createProtectionKey();
    if (isDefault) await q.query("UPDATE protection_keys SET is_default = false WHERE is_default");
    await q.query(
      "INSERT INTO protection_keys (id, root_key_id, wrapped, is_default) VALUES ($1, $2, $3, $4)",
      [stored.id, stored.rootKeyId, stored.wrapped, isDefault],
    );
    return stored.id;
  }

  /**
   * Root-key rotation's change, in its transaction: every stored key (loaded here or not)
   * locked, re-wrapped by `newRoot` and written back. Returns how many.
   */
  async rewrapAll(tx: Queryable, newRoot: Buffer): Promise<number> {
    const stored = await tx.query<{ id: string; root_key_id: string; wrapped: Buffer }>(
      "SELECT id, root_key_id, wrapped FROM protection_keys ORDER BY id FOR UPDATE",
    );
    const rewrapped = this.keyring.rewrapProtectionKeys(
      stored.map((s) => ({ id: s.id, rootKeyId: s.root_key_id, wrapped: s.wrapped })),
      newRoot,
    );
    for (const k of rewrapped) {
      await tx.query("UPDATE protection_keys SET root_key_id = $2, wrapped = $3 WHERE id = $1", [
        k.id,
        k.rootKeyId,
        k.wrapped,
      ]);
    }
    return rewrapped.length;
  }

  async list(q: Queryable = this.db): Promise<ProtectionKeyInfo[]> {
    const rows = await q.query<{
      id: string;
      root_key_id: string;
      is_default: boolean;
      created_at: Date;
    }>(
      "SELECT id, root_key_id, is_default, created_at FROM protection_keys ORDER BY created_at, id",
    );
    return rows.map((r) => ({
      id: r.id,
      rootKeyId: r.root_key_id,
      isDefault: r.is_default,
      createdAt: r.created_at,
    }));
  }

  async #stored(q: Queryable, id?: string): Promise<StoredProtectionKey[]> {
    const rows = await q.query<{ id: string; root_key_id: string; wrapped: Buffer }>(
      id === undefined
        ? "SELECT id, root_key_id, wrapped FROM protection_keys"
        : "SELECT id, root_key_id, wrapped FROM protection_keys WHERE id = $1",
      id === undefined ? [] : [id],
    );
    return rows.map((r) => ({ id: r.id, rootKeyId: r.root_key_id, wrapped: r.wrapped }));
  }
}

/**
 * The ids of the root keys that wrap at least one stored protection key, read in a transaction
 * of its own once every transaction writing protection keys has ended: a rotation whose process
 * died just after sending COMMIT is seen as it ends (committed or not), never half-way.
 */
export async function rootKeyIdsInUse(db: Database): Promise<Set<string>> {
  const rows = await db.transaction(async (tx) => {
    await tx.query("LOCK TABLE protection_keys IN SHARE MODE");
    return tx.query<{ root_key_id: string }>("SELECT DISTINCT root_key_id FROM protection_keys");
  });
  return new Set(rows.map((r) => r.root_key_id));
}

/** The org row: one per database, made at bootstrap. */
export const orgStore = {
  async name(q: Queryable): Promise<string | undefined> {
    const [org] = await q.query<{ name: string }>("SELECT name FROM org");
    return org?.name;
  },

  async create(q: Queryable, name: string): Promise<void> {
    await q.query("INSERT INTO org (name) VALUES ($1)", [name]);
  },

  /** The protection key the audit keys derive from, for good (see audit/audit-seal.ts). */
  async setAuditKey(q: Queryable, keyId: string): Promise<void> {
    await q.query("UPDATE org SET audit_key_id = $1", [keyId]);
  },

  async auditKeyId(q: Queryable): Promise<string | null | undefined> {
    const [row] = await q.query<{ id: string | null }>("SELECT audit_key_id AS id FROM org");
    return row?.id;
  },

  /** For a query of another store: true once the org is set up. */
  existsSql: "EXISTS (SELECT 1 FROM org)",
};

export type OrgStore = typeof orgStore;
