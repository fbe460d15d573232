/**
 * Protection keys and the root key (SPEC §5), for org admins: list, create (optionally as the
 * default for new secrets), and rotate the root key online. Rotation re-wraps protection keys
 * only, in one transaction; values and data keys are untouched, and reveals go on meanwhile
 * because protection keys stay unwrapped in memory.
 */
import { rootKeyId } from "@coffer/core";
import { requireAccess } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Deps } from "../deps.js";
import type { ProtectionKeyInfo } from "../protection-keys.js";
import { nextRootKey } from "../root-key.js";
import { audited, auditFailure } from "./audited.js";

export interface KeyInfoView {
  id: string;
  rootKeyId: string;
  isDefault: boolean;
  createdAt: string;
}

const view = (k: ProtectionKeyInfo): KeyInfoView => ({
  id: k.id,
  rootKeyId: k.rootKeyId,
  isDefault: k.isDefault,
  createdAt: k.createdAt.toISOString(),
});

export class KeyService {
  constructor(private readonly deps: Deps) {}

  async list(actor: Actor): Promise<{ activeRootKeyId: string; protectionKeys: KeyInfoView[] }> {
    requireAccess(actor, { kind: "org" }, "manage");
    return {
      activeRootKeyId: this.deps.keyring.activeRootKeyId,
      protectionKeys: (await this.deps.protectionKeys.list()).map(view),
    };
  }

  async create(
    actor: Actor,
    meta: RequestMeta,
    input: { makeDefault?: boolean },
  ): Promise<KeyInfoView> {
    return audited(this.deps, actor, meta, "key.create", null, async (tx) => {
      requireAccess(actor, { kind: "org" }, "manage");
      const id = await this.deps.protectionKeys.create(tx, input.makeDefault === true);
      const created = (await this.deps.protectionKeys.list(tx)).find((k) => k.id === id)!;
      return {
        result: view(created),
        resource: `key:${id}`,
        details: { makeDefault: input.makeDefault === true },
      };
    });
  }

  async rotateRoot(
    actor: Actor,
    meta: RequestMeta,
  ): Promise<{ rootKeyId: string; rewrapped: number }> {
    // Checked before any key file is written, so outside audited(): a refusal is audited here.
    try {
      requireAccess(actor, { kind: "org" }, "manage");
    } catch (error) {
      await auditFailure(this.deps, actor, meta, "key.rotate-root", null, error);
      throw error;
    }
    const next = await nextRootKey(this.deps.config, this.deps.root.active);
    const result = await audited(this.deps, actor, meta, "key.rotate-root", null, async (tx) => {
      const stored = await tx.query<{ id: string; root_key_id: string; wrapped: Buffer }>(
        "SELECT id, root_key_id, wrapped FROM protection_keys ORDER BY id FOR UPDATE",
      );
      const rewrapped = this.deps.keyring.rewrapProtectionKeys(
        stored.map((s) => ({ id: s.id, rootKeyId: s.root_key_id, wrapped: s.wrapped })),
        next,
      );
      for (const k of rewrapped) {
        await tx.query("UPDATE protection_keys SET root_key_id = $2, wrapped = $3 WHERE id = $1", [
          k.id,
          k.rootKeyId,
          k.wrapped,
        ]);
      }
      const id = rootKeyId(next);
      return { result: { rootKeyId: id, rewrapped: rewrapped.length }, resource: `root-key:${id}` };
    });
    this.deps.keyring.useRootKey(next);
    this.deps.root.active = next;
    return result;
  }
}
