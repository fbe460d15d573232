/**
 * Rotators (SPEC §11): how a secret gets a new value and where it goes. Created, listed, read
 * and deleted here; the job engine runs them. A rotator holds no value: a `postgres` rotator
 * names the secret holding its admin connection string, a `webhook` rotator the secret holding
 * its Standard Webhooks signing key (made here, in the rotator's owner, when none is named).
 * Each such secret must exist and be readable by the caller and by the rotator's owner (the
 * rotator acts for its owner). Deleting a rotator that a policy uses is refused, naming the
 * secrets that use it (those the caller may list; the others are counted).
 */
import { randomBytes } from "node:crypto";
import {
  forbidden,
  heldLevel,
  includes,
  invalidRequest,
  invalidStatus,
  notFound,
  parseSecretRef,
  type CreateRotatorInput,
  type ListRotatorsInput,
  type RotatorPage,
  type RotatorRefInput,
  type RotatorView,
} from "@coffer/core";
import { can, requireAccess } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { RotatorConfig, RotatorRow } from "../stores/rotation-store.js";
import type { Stores } from "../stores/stores.js";
import { audited, auditFailure } from "./audited.js";
import { decodeSecretCursor, encodeSecretCursor } from "./cursors.js";
import {
  requireRotator,
  rotatorAddress,
  rotatorAuditResource,
  rotatorRef,
  rotatorResource,
  type RotatorAddress,
} from "./rotator-access.js";
import { rightsOf, type PrincipalRights } from "./principal-rights.js";
import { missing, ownerKind, secretResource } from "./secret-lookup.js";
import type { SecretWriter } from "./secret-writer.js";

const MAX_PAGE = 500;
/** How many of the secrets using a rotator its refused delete names. */
const MAX_NAMED_USERS = 20;
/** Standard Webhooks: `whsec_` and a base64 key of 24 to 64 bytes. */
const SIGNING_KEY_BYTES = 32;
const SIGNING_SECRET_SUFFIX = "_webhook_signing_key";

export class RotatorService {
  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "now">,
    private readonly stores: Pick<
      Stores,
      "rotation" | "secrets" | "principals" | "grants" | "audit"
    >,
    private readonly secretWriter: Pick<SecretWriter, "create">,
  ) {}

  async create(actor: Actor, meta: RequestMeta, input: CreateRotatorInput): Promise<RotatorView> {
    const owner = input.owner ?? actor.defaultOwner;
    if (owner === undefined) {
      throw invalidRequest("a rotator needs an owner: this token has none, so name one");
    }
    const address = { owner, name: input.name };
    const resource = rotatorAuditResource(address);
    // A webhook rotator without a signing secret gets one first (its own audited create):
    // the rotator's transaction below then checks it like any named secret.
    const signingSecret =
      input.kind === "webhook" && input.webhook?.signingSecret === undefined
        ? await this.#makeSigningSecret(actor, meta, address, resource)
        : undefined;
    return audited(this.deps, this.stores, actor, meta, "rotator.create", resource, async (tx) => {
      const rights = await this.#ownerRights(tx, actor, owner);
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
    const owners = (await this.stores.rotation.owners(this.deps.db))
      .filter((o) => input.owner === undefined || o.owner === input.owner)
      .filter((o) => can(actor, rotatorResource(this.deps.org, o.owner, o.owner_kind), "read"))
      .map((o) => o.owner);
    if (owners.length === 0) return { items: [], nextCursor: null };
    const after = input.cursor === undefined ? null : decodeSecretCursor(input.cursor);
    const rows = await this.stores.rotation.page(this.deps.db, owners, after, limit + 1);
    const items = rows.slice(0, limit).map(toView);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return { items, nextCursor: last ? encodeSecretCursor(last.owner, last.name) : null };
  }

  async get(actor: Actor, input: RotatorRefInput): Promise<RotatorView> {
    const address = rotatorAddress(input.rotator, actor);
    const row = await this.stores.rotation.rotator(this.deps.db, address.owner, address.name);
    return toView(requireRotator(actor, this.deps.org, address, row, "read"));
  }

  remove(
    actor: Actor,
    meta: RequestMeta,
    input: RotatorRefInput,
  ): Promise<{ rotator: string; deleted: true }> {
    const address = rotatorAddress(input.rotator, actor);
    const resource = rotatorAuditResource(address);
    return audited(this.deps, this.stores, actor, meta, "rotator.delete", resource, async (tx) => {
      const found = await this.stores.rotation.rotator(tx, address.owner, address.name, "update");
      const row = requireRotator(actor, this.deps.org, address, found, "manage");
      const ids = await this.stores.rotation.secretsUsing(tx, row.id, MAX_NAMED_USERS + 1);
      if (ids.length > 0) throw await this.#inUse(tx, actor, address, ids);
      await this.stores.rotation.removeRotator(tx, row.id);
      return { result: { rotator: rotatorRef(address), deleted: true as const } };
    });
  }

  /** INVALID_STATUS naming the secrets that use the rotator (those the caller may list). */
  async #inUse(tx: Queryable, actor: Actor, address: RotatorAddress, ids: readonly number[]) {
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
      `rotator ${rotatorRef(address)} is in use by ${visible.join(", ")}${others}: configure their rotation with another rotator first`,
      { rotator: rotatorRef(address), secrets: visible, others: hidden },
    );
  }

  /**
   * The owner, who must exist, and what it holds (its rotator acts for it); the caller needs
   * `manage` on the owner's secrets to create a rotator there.
   */
  async #ownerRights(tx: Queryable, actor: Actor, owner: string): Promise<PrincipalRights> {
    const kind = await ownerKind(this.stores.principals, tx, owner);
    requireAccess(actor, rotatorResource(this.deps.org, owner, kind), "manage", {
      hideExistence: false,
    });
    return rightsOf(this.stores, tx, owner);
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

  /**
   * A secret a rotator names (`NAME` is the owner's): it must exist, the caller must be able
   * to read it (else it is not found, as anywhere), and so must the owner. Stored as OWNER/NAME.
   */
  async #secretFor(
    tx: Queryable,
    actor: Actor,
    owner: PrincipalRights,
    ref: string,
    field: string,
  ): Promise<string> {
    const uri = parseSecretRef(ref, { org: this.deps.org, defaultOwner: owner.name });
    if (uri.org !== this.deps.org) throw notFound(`no org "${uri.org}" here`);
    if (uri.version !== undefined) {
      throw invalidRequest(`${field} names a secret, not one of its versions`, { field });
    }
    const row = await this.stores.secrets.find(tx, uri.owner, uri.name);
    if (!row) throw missing(this.deps.org, uri.owner, uri.name);
    const resource = secretResource(this.deps.org, row.owner, row.owner_kind, row.name);
    requireAccess(actor, resource, "read");
    if (!includes(heldLevel(owner.principal, resource, owner.grants), "read")) {
      throw forbidden(
        `the rotator's owner ${owner.name} cannot read ${row.owner}/${row.name} (${field}); share it with ${owner.name} or name another secret`,
        { field, reason: "owner-cannot-read" },
      );
    }
    return `${row.owner}/${row.name}`;
  }

  /**
   * A fresh Standard Webhooks key in a new secret of the owner; its OWNER/NAME. What would
   * refuse the rotator is checked first (and audited as the rotator's refusal), so that a
   * refused rotator leaves no secret behind.
   */
  async #makeSigningSecret(
    actor: Actor,
    meta: RequestMeta,
    address: RotatorAddress,
    resource: string,
  ): Promise<string> {
    const secret = `${address.owner}/${address.name}${SIGNING_SECRET_SUFFIX}`;
    try {
      await this.#ownerRights(this.deps.db, actor, address.owner);
      if (await this.stores.rotation.rotator(this.deps.db, address.owner, address.name)) {
        throw exists(address);
      }
      if (address.name.length + SIGNING_SECRET_SUFFIX.length > 128) {
        throw invalidRequest(
          "the rotator's name is too long to name its signing secret after it: give webhook.signingSecret",
          { field: "signingSecret" },
        );
      }
    } catch (error) {
      await auditFailure(this.deps, this.stores, actor, meta, "rotator.create", resource, error);
      throw error;
    }
    await this.secretWriter.create(actor, meta, {
      secret,
      value: `whsec_${randomBytes(SIGNING_KEY_BYTES).toString("base64")}`,
      description: `Standard Webhooks signing key of rotator ${rotatorRef(address)}`,
    });
    return secret;
  }
}

const exists = (address: RotatorAddress) =>
  invalidStatus(`rotator ${rotatorRef(address)} already exists`, { rotator: rotatorRef(address) });

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
