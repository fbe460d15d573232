/**
 * Who names a secret (SPEC §12 `secret.usedBy`): hooks (in a template or as their signing key),
 * automations (firing such a hook, or matching exactly that secret) and rotators (as their
 * admin connection string or signing key). Deleting or disabling a secret in use is refused,
 * naming them, unless the call acknowledges them (W&B's warning, made a rule). Those the caller
 * may not see are counted, not named.
 */
import { invalidStatus, type SecretUsedByView } from "@coffer/core";
import { can } from "../access.js";
import type { Actor } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Stores } from "../stores/stores.js";
import { ownedResource } from "./owned-access.js";
import { secretUri } from "./secret-view.js";

type Owned = { owner: string; owner_kind: "user" | "team"; name: string };

/** The dependents of the secret OWNER/NAME, as the caller may see them. */
export async function usedBy(
  org: string,
  stores: Pick<Stores, "hooks" | "rotation">,
  q: Queryable,
  actor: Actor,
  secret: { owner: string; name: string },
): Promise<SecretUsedByView> {
  const ref = `${secret.owner}/${secret.name}`;
  const hooks = await stores.hooks.hooksNaming(q, ref);
  const automations = new Map(
    [
      ...(hooks.length > 0
        ? await stores.hooks.automationsOf(
            q,
            hooks.map((h) => h.id),
          )
        : []),
      ...(await stores.hooks.automationsMatching(q, secretUri(org, secret.owner, secret.name))),
    ].map((a) => [a.id, a]),
  );
  const rotators = await stores.rotation.rotatorsNaming(q, ref);
  let others = 0;
  const visible = <T extends Owned>(row: T): boolean => {
    const seen = can(actor, ownedResource(org, row.owner, row.owner_kind), "list");
    if (!seen) others += 1;
    return seen;
  };
  return {
    secret: ref,
    hooks: hooks.filter(visible).map((h) => ({
      ref: `${h.owner}/${h.name}`,
      via: h.signing_secret === ref ? ("signingSecret" as const) : ("template" as const),
    })),
    automations: [...automations.values()].filter(visible).map((a) => ({
      ref: `${a.owner}/${a.name}`,
      hook: `${a.hook_owner}/${a.hook_name}`,
    })),
    rotators: rotators.filter(visible).map((r) => ({
      ref: `${r.owner}/${r.name}`,
      via:
        (r.config as { signingSecret?: string }).signingSecret === ref
          ? ("signingSecret" as const)
          : ("adminSecret" as const),
    })),
    others,
  };
}

export const inUse = (view: SecretUsedByView): boolean =>
  view.hooks.length + view.automations.length + view.rotators.length + view.others > 0;

/** INVALID_STATUS naming the dependents, for a delete or disable not acknowledged. */
export function inUseError(view: SecretUsedByView, doing: "delete" | "disable") {
  const named = [
    ...view.hooks.map((h) => `hook ${h.ref}`),
    ...view.automations.map((a) => `automation ${a.ref}`),
    ...view.rotators.map((r) => `rotator ${r.ref}`),
    ...(view.others > 0 ? [`${view.others} you cannot see`] : []),
  ];
  return invalidStatus(
    `${view.secret} is used by ${named.join(", ")}: change them first, or ${doing} it anyway by acknowledging them (acknowledgeUsedBy; coffer secret ${doing === "delete" ? "rm" : "disable"} --yes)`,
    {
      reason: "secret-in-use",
      hooks: view.hooks,
      automations: view.automations,
      rotators: view.rotators,
      others: view.others,
    },
  );
}
