/**
 * Rotators (SPEC §11): how a secret gets a new value and where it goes. Created, listed, read
 * and deleted here; the job engine runs them. A rotator holds no value: a `postgres` rotator
 * names the secret holding its admin connection string, a `webhook` rotator the secret holding
 * its Standard Webhooks signing key (made here, in the rotator's owner, when none is named).
 * Each such secret must exist and be readable by the caller and by the rotator's owner (the
 * rotator acts for its owner). Deleting a rotator that a policy uses is refused, naming the
 * secrets that use it (those the caller may list; the others are counted).
 */
import {
  invalidRequest,
  invalidStatus,
  type CreateRotatorInput,
  type ListRotatorsInput,
  type RotatorPage,
  type RotatorRefInput,
  type RotatorView,
} from "@coffer/core";
import { can } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { RotatorConfig, RotatorRow } from "../stores/rotation-store.js";
import type { Stores } from "../stores/stores.js";
import { audited } from "./audited.js";
import { decodeSecretCursor, pageByName } from "./cursors.js";
import {
  managedOwner,
  ownedAddress,
  ownedAuditResource,
  ownedRef,
  readableOwners,
  requireOwned,
  type OwnedAddress,
} from "./owned-access.js";
import { namedSecret } from "./named-secret.js";
import type { PrincipalRights } from "./principal-rights.js";
import { ownerKind, secretResource } from "./secret-lookup.js";
import type { SecretWriter } from "./secret-writer.js";
import { SigningSecrets } from "./signing-secrets.js";

const MAX_PAGE = 500;
/** How many of the secrets using a rotator its refused delete names. */
const MAX_NAMED_USERS = 20;

export class RotatorService {
  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "now">,
    private readonly stores: Pick<
      Stores,
      "rotation" | "secrets" | "principals" | "grants" | "audit"
    >,
    secretWriter: Pick<SecretWriter, "create">,
  ) {
    this.#signing = new SigningSecrets(deps, stores, secretWriter);
  }

  readonly #signing: SigningSecrets;

  async create(actor: Actor, meta: RequestMeta, input: CreateRotatorInput): Promise<RotatorView> {
    const owner = input.owner ?? actor.defaultOwner;
    if (owner === undefined) {
      throw invalidRequest("a rotator needs an owner: this token has none, so name one");
    }
    const address = { owner, name: input.name };
    const resource = ownedAuditResource("rotator", address);
    // A webhook rotator without a signing secret gets one first (its own audited create):
    // the rotator's transaction below then checks it like any named secret.
    const signingSecret =
      input.kind === "webhook" && input.webhook?.signingSecret === undefined
        ? await this.#signing.make(actor, meta, "rotator", address, resource, async (q) => {
            await managedOwner(this.deps.org, this.stores, q, actor, owner);
            if (await this.stores.rotation.rotator(q, owner, input.name)) throw exists(address);
          })
        : undefined;
    return audited(this.deps, this.stores, actor, meta, "rotator.create", resource, async (tx) => {
      const rights = await managedOwner(this.deps.org, this.stores, tx, actor, owner);
      const config = await this.#config(tx, actor, rights, input, signingSecret);
      const row = await this.stores.rotation.insertRotator(tx, {
        owner,
        name: input.name,
        kind: input.kind,
        description: input.description ?? "",
        config,
        at: this.deps.now(),
        by: actor.label,
      });
      if (!row) throw exists(address);
      return { result: toView(row), details: { kind: input.kind } };
    });
  }

  async list(actor: Actor, input: ListRotatorsInput): Promise<RotatorPage> {
    const limit = Math.min(input.limit ?? 100, MAX_PAGE);
    const after = input.cursor === undefined ? null : decodeSecretCursor(input.cursor);
    const owners = readableOwners(
      this.deps.org,
      actor,
      await this.stores.rotation.owners(this.deps.db),
      input.owner,
    );
    if (owners.length === 0) return { items: [], nextCursor: null };
    const rows = await this.stores.rotation.page(this.deps.db, owners, after, limit + 1);
    return pageByName(rows, limit, toView);
  }

  async get(actor: Actor, input: RotatorRefInput): Promise<RotatorView> {
    const address = ownedAddress("rotator", input.rotator, actor);
    const row = await this.stores.rotation.rotator(this.deps.db, address.owner, address.name);
    return toView(requireOwned("rotator", actor, this.deps.org, address, row, "read"));
  }

  remove(
    actor: Actor,
    meta: RequestMeta,
    input: RotatorRefInput,
  ): Promise<{ rotator: string; deleted: true }> {
    const address = ownedAddress("rotator", input.rotator, actor);
    const resource = ownedAuditResource("rotator", address);
    return audited(this.deps, this.stores, actor, meta, "rotator.delete", resource, async (tx) => {
      const found = await this.stores.rotation.rotator(tx, address.owner, address.name, "update");
      const row = requireOwned("rotator", actor, this.deps.org, address, found, "manage");
      const ids = await this.stores.rotation.secretsUsing(tx, row.id, MAX_NAMED_USERS + 1);
      if (ids.length > 0) throw await this.#inUse(tx, actor, address, ids);
      await this.stores.rotation.removeRotator(tx, row.id);
      return { result: { rotator: ownedRef(address), deleted: true as const } };
    });
  }

  /** INVALID_STATUS naming the secrets that use the rotator (those the caller may list). */
  async #inUse(tx: Queryable, actor: Actor, address: OwnedAddress, ids: readonly number[]) {
    const names = await this.stores.secrets.namesOf(tx, ids.slice(0, MAX_NAMED_USERS));
    const kinds = new Map<string, "user" | "team">();
    for (const n of names) kinds.set(n.owner, await ownerKind(this.stores.principals, tx, n.owner));
    const visible = names
      .filter((n) =>
        can(actor, secretResource(this.deps.org, n.owner, kinds.get(n.owner)!, n.name), "list"),
      )
      .map((n) => `${n.owner}/${n.name}`);
    const hidden = ids.length - visible.length;
    const more = ids.length > MAX_NAMED_USERS ? " or more" : "";
    const others =
      hidden > 0 ? `${visible.length > 0 ? " and " : ""}${hidden}${more} other secret(s)` : "";
    return invalidStatus(
      `rotator ${ownedRef(address)} is in use by ${visible.join(", ")}${others}: configure their rotation with another rotator first`,
      { rotator: ownedRef(address), secrets: visible, others: hidden },
    );
  }

  async #config(
    tx: Queryable,
    actor: Actor,
    owner: PrincipalRights,
    input: CreateRotatorInput,
    madeSigningSecret: string | undefined,
  ): Promise<RotatorConfig> {
    if (input.kind === "postgres" && input.postgres) {
      const adminSecret = await this.#secretFor(
        tx,
        actor,
        owner,
        input.postgres.adminSecret,
        "adminSecret",
      );
      return { ...input.postgres, adminSecret };
    }
    if (input.kind === "webhook" && input.webhook) {
      const named = input.webhook.signingSecret ?? madeSigningSecret;
      if (named === undefined) throw new Error("a webhook rotator's signing secret was not made");
      const signingSecret = await this.#secretFor(tx, actor, owner, named, "signingSecret");
      return { url: input.webhook.url, signingSecret, mode: input.webhook.mode ?? "driver" };
    }
    return {};
  }

  async #secretFor(
    tx: Queryable,
    actor: Actor,
    owner: PrincipalRights,
    ref: string,
    field: string,
  ): Promise<string> {
    const row = await namedSecret(
      this.deps.org,
      this.stores,
      tx,
      actor,
      owner,
      ref,
      field,
      "rotator",
    );
    return `${row.owner}/${row.name}`;
  }
}

const exists = (address: OwnedAddress) =>
  invalidStatus(`rotator ${ownedRef(address)} already exists`, { rotator: ownedRef(address) });

function toView(row: RotatorRow): RotatorView {
  const config = row.config;
  return {
    ref: `${row.owner}/${row.name}`,
    owner: row.owner,
    name: row.name,
    kind: row.kind,
    description: row.description,
    postgres: row.kind === "postgres" ? (config as RotatorView["postgres"]) : null,
    webhook: row.kind === "webhook" ? (config as RotatorView["webhook"]) : null,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
  };
}
