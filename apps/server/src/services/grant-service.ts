/**
 * Sharing (SPEC §3): a grant gives a user or team a level on one secret or on every secret of
 * an owner. Only those with `manage` there may share or unshare.
 */
import {
  invalidRequest,
  notFound,
  PRINCIPAL_NAME_RE,
  type Level,
  type ListGrantsInput,
  type ShareInput,
  type UnshareInput,
} from "@coffer/core";
import { requireAccess, requireFullScope } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import { audited } from "./audited.js";
import type { GrantRow } from "../stores/principal-store.js";
import type { Stores } from "../stores/stores.js";
import { addressOf, missing, ownerKind, secretResource } from "./secret-lookup.js";
import { secretUri } from "./secret-view.js";

export interface GrantInfo {
  subject: string;
  resource: string;
  level: Level;
  createdAt: string;
  createdBy: string;
}

export class GrantService {
  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org">,
    private readonly stores: Pick<Stores, "grants" | "principals" | "secrets" | "audit">,
  ) {}

  async share(actor: Actor, meta: RequestMeta, input: ShareInput): Promise<GrantInfo> {
    const level = input.level ?? "read";
    return audited(this.deps, this.stores, actor, meta, "grant.share", null, async (tx) => {
      const resource = await this.#target(tx, actor, input.resource);
      if (!(await this.stores.principals.exists(tx, input.subject)))
        throw notFound(`no user or team named ${input.subject}`);
      const row = await this.stores.grants.share(tx, input.subject, resource, level, actor.label);
      return {
        result: {
          subject: input.subject,
          resource,
          level,
          createdAt: row.created_at.toISOString(),
          createdBy: row.created_by,
        },
        resource,
        details: { subject: input.subject, level },
      };
    });
  }

  async unshare(
    actor: Actor,
    meta: RequestMeta,
    input: UnshareInput,
  ): Promise<{ subject: string; resource: string }> {
    return audited(this.deps, this.stores, actor, meta, "grant.unshare", null, async (tx) => {
      const resource = await this.#target(tx, actor, input.resource);
      if (!(await this.stores.grants.unshare(tx, input.subject, resource)))
        throw notFound(`${input.subject} has no grant on ${resource}`);
      return {
        result: { subject: input.subject, resource },
        resource,
        details: { subject: input.subject },
      };
    });
  }

  /** `toMe`: grants to the caller and its teams; `byMe`: grants the caller made. */
  async list(actor: Actor, input: ListGrantsInput): Promise<GrantInfo[]> {
    const rows = await this.#rows(actor, input);
    return rows.map((r) => ({
      subject: r.subject,
      resource: r.resource,
      level: r.level,
      createdAt: r.created_at.toISOString(),
      createdBy: r.created_by,
    }));
  }

  /**
   * Grants by me or to me (beyond any one resource: the `*` scope), or who was given access to
   * one secret, by anyone: the grants naming it and its owner's `OWNER/*`. Only those who may
   * share that secret (`manage`) see the latter, as in Vault's and Infisical's access pages.
   */
  async #rows(actor: Actor, input: ListGrantsInput): Promise<GrantRow[]> {
    if (input.secret === undefined) {
      requireFullScope(actor, "listing grants");
      return this.stores.grants.list(
        this.deps.db,
        input.direction === "byMe" ? { createdBy: actor.label } : { subjects: subjectsOf(actor) },
      );
    }
    if (input.direction !== undefined)
      throw invalidRequest("list grants by direction or on a secret, not both");
    const addr = addressOf(input.secret, actor, this.deps.org);
    const row = await this.stores.secrets.find(this.deps.db, addr.owner, addr.name);
    if (!row) throw missing(this.deps.org, addr.owner, addr.name);
    requireAccess(
      actor,
      secretResource(this.deps.org, row.owner, row.owner_kind, row.name),
      "manage",
    );
    return this.stores.grants.list(this.deps.db, {
      resources: [
        secretUri(this.deps.org, row.owner, row.name),
        `secret://${this.deps.org}/${row.owner}/*`,
      ],
    });
  }

  /** The grant resource for what the caller typed, after checking `manage` on it. */
  async #target(tx: Queryable, actor: Actor, text: string): Promise<string> {
    const wildcard = /^(?:secret:\/\/([^/]+)\/)?([^/]+)\/\*$/.exec(text);
    if (wildcard) {
      const [, org = this.deps.org, owner = ""] = wildcard;
      if (org !== this.deps.org) throw notFound(`no org "${org}" here`);
      if (!PRINCIPAL_NAME_RE.test(owner))
        throw invalidRequest(`"${owner.slice(0, 40)}" is not a user or team name`);
      const kind = await ownerKind(this.stores.principals, tx, owner);
      // An owner's name is no secret: refused plainly (FORBIDDEN), not "not found".
      requireAccess(actor, secretResource(this.deps.org, owner, kind, "*"), "manage", {
        hideExistence: false,
      });
      return `secret://${this.deps.org}/${owner}/*`;
    }
    const addr = addressOf(text, actor, this.deps.org);
    const row = await this.stores.secrets.find(tx, addr.owner, addr.name);
    if (!row) throw missing(this.deps.org, addr.owner, addr.name);
    requireAccess(
      actor,
      secretResource(this.deps.org, row.owner, row.owner_kind, row.name),
      "manage",
    );
    return secretUri(this.deps.org, row.owner, row.name);
  }
}

function subjectsOf(actor: Actor): string[] {
  const p = actor.principal;
  if (p.kind === "user") return [p.name, ...p.teams.map((m) => m.team)];
  if (p.kind === "team") return [p.name];
  return [];
}
