/**
 * Standard Webhooks signing keys made for the things that sign (webhook rotators, hooks) when
 * their creator names none: a fresh `whsec_` key in a new secret of the owner's, named after
 * the thing (`OWNER/NAME_webhook_signing_key`, `OWNER/NAME_hook_signing_key`), created with the
 * caller's rights and audited like any secret. What would refuse the thing is checked first
 * (and audited as its refusal), so that a refused one leaves no secret behind. A key of that
 * name already there (left by a deleted thing of the same name) is used again: its receivers
 * keep the key they have; the thing's own checks then apply to it as to any named secret.
 */
import { CofferError, invalidRequest, mintWebhookSecret } from "@coffer/core";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import { auditFailure, type AuditedDeps, type AuditedStores } from "./audited.js";
import { ownedRef, type OwnedAddress } from "./owned-access.js";
import type { Stores } from "../stores/stores.js";
import type { SecretWriter } from "./secret-writer.js";

const SUFFIX = { rotator: "_webhook_signing_key", hook: "_hook_signing_key" } as const;
const FIELD = { rotator: "webhook.signingSecret", hook: "signingSecret" } as const;

export class SigningSecrets {
  constructor(
    private readonly deps: AuditedDeps,
    private readonly stores: AuditedStores & Pick<Stores, "secrets">,
    private readonly secretWriter: Pick<SecretWriter, "create">,
  ) {}

  /** Makes the key's secret after `precheck` passed; returns its OWNER/NAME. */
  async make(
    actor: Actor,
    meta: RequestMeta,
    kind: "rotator" | "hook",
    address: OwnedAddress,
    auditResource: string,
    precheck: (q: Queryable) => Promise<void>,
  ): Promise<string> {
    const secret = `${address.owner}/${address.name}${SUFFIX[kind]}`;
    try {
      await precheck(this.deps.db);
      if (address.name.length + SUFFIX[kind].length > 128) {
        throw invalidRequest(
          `the ${kind}'s name is too long to name its signing secret after it: give ${FIELD[kind]}`,
          { field: FIELD[kind] },
        );
      }
    } catch (error) {
      await auditFailure(
        this.deps,
        this.stores,
        actor,
        meta,
        `${kind}.create`,
        auditResource,
        error,
      );
      throw error;
    }
    const name = `${address.name}${SUFFIX[kind]}`;
    const exists = async () =>
      (await this.stores.secrets.find(this.deps.db, address.owner, name, true)) !== undefined;
    if (await exists()) return secret;
    try {
      await this.secretWriter.create(actor, meta, {
        secret,
        value: mintWebhookSecret(),
        description: `Standard Webhooks signing key of ${kind} ${ownedRef(address)}`,
      });
    } catch (error) {
      // Made meanwhile by a call like this one (two creates at once): use it, as above; the
      // thing's own transaction then refuses the one that comes second.
      if (!(
        error instanceof CofferError &&
        error.errorCode === "INVALID_STATUS" &&
        (await exists())
      ))
        throw error;
    }
    return secret;
  }
}
