/**
 * Protection keys and the root key (SPEC §5), for org admins: list, create (optionally as the
 * default for new secrets), and rotate the root key online (root-key-rotation.ts). Rotation
 * re-wraps protection keys only, in one transaction; values and data keys are untouched, and
 * reveals go on meanwhile because protection keys stay unwrapped in memory.
 */
import { rootKeyId } from "@coffer/core";
import { requireAccess } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Deps } from "../deps.js";
import type { ProtectionKeyInfo } from "../stores/key-store.js";
import {
  holdOffRotation,
  refreshRootKeys,
  rotateRootKey,
  whileNotRotating,
  type StepObserver,
} from "../root-key-rotation.js";
import type { Stores } from "../stores/stores.js";
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
  /** Root-key rotation (root-key-rotation.ts) works on the whole of Deps: its keys and files. */
  constructor(
    private readonly deps: Deps,
    private readonly stores: Pick<Stores, "keys" | "audit">,
  ) {}

  async list(actor: Actor): Promise<{ activeRootKeyId: string; protectionKeys: KeyInfoView[] }> {
    requireAccess(actor, { kind: "org" }, "manage");
    await refreshRootKeys(this.deps);
    return {
      activeRootKeyId: this.deps.keyring.activeRootKeyId,
      protectionKeys: (await this.stores.keys.list()).map(view),
    };
  }

  async create(
    actor: Actor,
    meta: RequestMeta,
    input: { makeDefault?: boolean },
  ): Promise<KeyInfoView> {
    // Never wrapped under a root key a rotation is retiring: see root-key-rotation.ts.
    return whileNotRotating(() =>
      audited(this.deps, this.stores, actor, meta, "key.create", null, async (tx) => {
        requireAccess(actor, { kind: "org" }, "manage");
        await holdOffRotation(tx, this.deps);
        const id = await this.stores.keys.create(tx, input.makeDefault === true);
        const created = (await this.stores.keys.list(tx)).find((k) => k.id === id)!;
        return {
          result: view(created),
          resource: `key:${id}`,
          details: { makeDefault: input.makeDefault === true },
        };
      }),
    );
  }

  /** `onStep` is told of each step of the rotation (tests stop a process there). */
  async rotateRoot(
    actor: Actor,
    meta: RequestMeta,
    onStep?: StepObserver,
  ): Promise<{ rootKeyId: string; rewrapped: number }> {
    // Checked before any key file is written; what fails before the rotation's own
    // transaction (a refusal, an unknown root key) is audited here, the rest by audited().
    let inTransaction = false;
    try {
      requireAccess(actor, { kind: "org" }, "manage");
      return await rotateRootKey(
        this.deps,
        (next, rewrapped) => {
          inTransaction = true;
          return audited(
            this.deps,
            this.stores,
            actor,
            meta,
            "key.rotate-root",
            null,
            async (tx) => {
              const count = await this.stores.keys.rewrapAll(tx, next);
              await rewrapped();
              const id = rootKeyId(next);
              return { result: { rootKeyId: id, rewrapped: count }, resource: `root-key:${id}` };
            },
          );
        },
        onStep,
      );
    } catch (error) {
      if (!inTransaction)
        await auditFailure(this.deps, this.stores, actor, meta, "key.rotate-root", null, error);
      throw error;
    }
  }
}
