/**
 * Reading secrets: list and describe (metadata, `list`), reveal and batch reveal (values,
 * `read`, audited before the value leaves), versions, where-used.
 */
import {
  CofferError,
  invalidRequest,
  invalidStatus,
  notFound,
  patternCovers,
  pickJsonKey,
  type BatchRevealInput,
  type ListSecretsInput,
  type RevealInput,
  type SecretInput,
  type Level,
} from "@coffer/core";
import { accessLevel, can, requireAccess } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Deps } from "../deps.js";
import type { AuditEvent } from "../audit/audit-log.js";
import type { RevealRow, SecretRow } from "../stores/secret-store.js";
import type { Stores } from "../stores/stores.js";
import { DAY_MS } from "../time.js";
import { auditFailure } from "./audited.js";
import { decodeSecretCursor, encodeSecretCursor } from "./cursors.js";
import { addressOf, missing, secretResource, type SecretAddress } from "./secret-lookup.js";
import { secretUri, stagesOf, toMeta, versionContext, type SecretMeta } from "./secret-view.js";

export interface Revealed {
  uri: string;
  version: number;
  value: string;
}

export type BatchItemResult =
  | ({ ok: true } & Revealed)
  | { ok: false; secret: string; error: { errorCode: string; message: string } };

export interface VersionInfo {
  version: number;
  stages: ("current" | "previous" | "pending")[];
  createdAt: string;
  createdBy: string;
}

const MAX_PAGE = 500;

export class SecretReader {
  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "keyring" | "now">,
    private readonly stores: Pick<Stores, "secrets" | "principals" | "audit">,
  ) {}

  /** The metadata, and the caller's level on it (a page shows only what that level allows). */
  async describe(actor: Actor, input: SecretInput): Promise<SecretMeta & { access: Level }> {
    const addr = addressOf(input.secret, actor, this.deps.org);
    const row = await this.stores.secrets.find(this.deps.db, addr.owner, addr.name);
    if (!row) throw missing(this.deps.org, addr.owner, addr.name);
    requireAccess(actor, this.#resource(row), "list");
    return {
      ...toMeta(this.deps.org, row),
      access: accessLevel(actor, this.#resource(row)) ?? "list",
    };
  }

  async versions(actor: Actor, input: SecretInput): Promise<VersionInfo[]> {
    const addr = addressOf(input.secret, actor, this.deps.org);
    const row = await this.stores.secrets.find(this.deps.db, addr.owner, addr.name);
    if (!row) throw missing(this.deps.org, addr.owner, addr.name);
    requireAccess(actor, this.#resource(row), "list");
    const versions = await this.stores.secrets.versions(this.deps.db, row.id);
    return versions.map((v) => ({
      version: v.version,
      stages: stagesOf(row, v.version),
      createdAt: v.created_at.toISOString(),
      createdBy: v.created_by,
    }));
  }

  async reveal(actor: Actor, meta: RequestMeta, input: RevealInput): Promise<Revealed> {
    const [result] = await this.#revealMany(actor, meta, [input], "secret.reveal");
    if (!result!.ok) throw result!.cause;
    return result!.revealed;
  }

  /** Up to 100 reveals in one round trip; each item succeeds or fails on its own. */
  async batchReveal(
    actor: Actor,
    meta: RequestMeta,
    input: BatchRevealInput,
  ): Promise<BatchItemResult[]> {
    const results = await this.#revealMany(actor, meta, input.items, "secret.reveal");
    return results.map((r, i) =>
      r.ok
        ? { ok: true as const, ...r.revealed }
        : {
            ok: false as const,
            secret: input.items[i]!.secret,
            error: { errorCode: r.cause.errorCode, message: r.cause.message },
          },
    );
  }

  async #revealMany(
    actor: Actor,
    meta: RequestMeta,
    items: readonly RevealInput[],
    action: string,
  ): Promise<({ ok: true; revealed: Revealed } | { ok: false; cause: CofferError })[]> {
    const addrs: (SecretAddress | CofferError)[] = items.map((item) => {
      try {
        return revealTarget(item, addressOf(item.secret, actor, this.deps.org));
      } catch (error) {
        if (error instanceof CofferError) return error;
        throw error;
      }
    });
    const ok = addrs.filter((a): a is SecretAddress => !(a instanceof CofferError));
    const rows = new Map<number, RevealRow>();
    if (ok.length > 0) {
      const targets = items.map((item, i) => {
        const a = addrs[i]!;
        return a instanceof CofferError ? null : { item, a };
      });
      const found = await this.stores.secrets.reveal(
        this.deps.db,
        targets.map((t) => ({
          owner: t?.a.owner ?? "",
          name: t?.a.name ?? "",
          version: t?.a.version ?? null,
          stage: t?.item.stage ?? null,
        })),
      );
      for (const row of found) rows.set(Number(row.i) - 1, row);
    }
    const events: AuditEvent[] = [];
    const results = items.map((item, i) => {
      const addr = addrs[i]!;
      try {
        if (addr instanceof CofferError) throw addr;
        const row = rows.get(i);
        if (!row) throw missing(this.deps.org, addr.owner, addr.name);
        const revealed = this.#open(actor, row, item, addr.version);
        events.push({ action, resource: revealed.uri, details: { version: revealed.version } });
        return { ok: true as const, revealed };
      } catch (error) {
        if (!(error instanceof CofferError)) throw error;
        const resource =
          addr instanceof CofferError ? null : secretUri(this.deps.org, addr.owner, addr.name);
        const denied = ["FORBIDDEN", "NOT_FOUND", "UNAUTHORIZED"].includes(error.errorCode);
        events.push({
          action,
          resource,
          result: denied ? "denied" : "failed",
          details: { errorCode: error.errorCode },
        });
        return { ok: false as const, cause: error };
      }
    });
    // Durable before any value leaves: if this write fails, the call fails.
    try {
      await this.stores.audit.write(actor, meta, events);
    } catch (error) {
      await auditFailure(this.deps, this.stores, actor, meta, action, null, error);
      throw error;
    }
    return results;
  }

  #open(actor: Actor, row: RevealRow, item: RevealInput, version: number | undefined): Revealed {
    requireAccess(actor, this.#resource(row), "read");
    const uri = secretUri(this.deps.org, row.owner, row.name);
    if (row.status === "disabled")
      throw invalidStatus(`${uri} is disabled`, { status: row.status });
    if (row.status === "pending_deletion") {
      throw invalidStatus(`${uri} is scheduled for deletion; restore it to read it`, {
        status: row.status,
      });
    }
    if (row.v_version === null || row.v_protection_key_id === null) {
      const which =
        version !== undefined ? `version ${version}` : `a ${item.stage ?? "current"} version`;
      throw notFound(`${uri} has no ${which}`, { uri });
    }
    if (!this.deps.keyring.hasProtectionKey(row.v_protection_key_id)) {
      throw new CofferError(
        "INTERNAL_SERVER_ERROR",
        `protection key ${row.v_protection_key_id} is not loaded`,
      );
    }
    const value = this.deps.keyring.open(
      {
        protectionKeyId: row.v_protection_key_id,
        wrappedDataKey: row.v_wrapped_data_key!,
        ciphertext: row.v_ciphertext!,
      },
      versionContext(this.deps.org, row, row.v_version),
    );
    const picked =
      item.key === undefined ? value : pickJsonKey(value, item.key, `${uri}#${row.v_version}`);
    return { uri, version: row.v_version, value: picked };
  }

  /**
   * Secrets the actor may list, ordered by (owner, name), a page at a time. Candidates are
   * the owners the actor could reach (itself, its teams, every team for org admins and the org,
   * owners named in its grants); each is then checked with the one ACL function.
   */
  async list(
    actor: Actor,
    input: ListSecretsInput,
  ): Promise<{ items: SecretMeta[]; nextCursor: string | null }> {
    const limit = Math.min(input.limit ?? 100, MAX_PAGE);
    const owners = await this.#reachableOwners(actor);
    if (input.owner !== undefined && !owners.includes(input.owner))
      return { items: [], nextCursor: null };
    let after = input.cursor === undefined ? ["", ""] : decodeSecretCursor(input.cursor);
    const items: SecretMeta[] = [];
    const prefix = input.prefix ?? "";
    for (;;) {
      const rows = await this.stores.secrets.page(
        this.deps.db,
        input.owner !== undefined ? [input.owner] : owners,
        prefix,
        after,
        limit + 1,
      );
      for (const row of rows.slice(0, limit)) {
        after = [row.owner, row.name];
        if (!can(actor, this.#resource(row), "list")) continue;
        if (input.shared && !this.#sharedWith(actor, row)) continue;
        items.push(toMeta(this.deps.org, row));
        if (items.length === limit) {
          return {
            items,
            nextCursor:
              rows.length > limit || row !== rows.at(-1)
                ? encodeSecretCursor(after[0]!, after[1]!)
                : null,
          };
        }
      }
      if (rows.length <= limit) return { items, nextCursor: null };
    }
  }

  /** Which tokens and identities read this secret in the last 30 days (from the audit log). */
  async whereUsed(
    actor: Actor,
    input: SecretInput,
  ): Promise<
    { actor: string | null; tokenId: string | null; reads: number; lastReadAt: string }[]
  > {
    const addr = addressOf(input.secret, actor, this.deps.org);
    const row = await this.stores.secrets.find(this.deps.db, addr.owner, addr.name);
    if (!row) throw missing(this.deps.org, addr.owner, addr.name);
    requireAccess(actor, this.#resource(row), "read");
    // Reads of an earlier secret of the same name (deleted, then re-created) are not this one's.
    const since = new Date(
      Math.max(this.deps.now().getTime() - 30 * DAY_MS, row.created_at.getTime()),
    );
    const rows = await this.stores.audit.readers(
      this.deps.db,
      secretUri(this.deps.org, row.owner, row.name),
      since,
    );
    return rows.map((r) => ({
      actor: r.actor,
      tokenId: r.token_id,
      reads: r.reads,
      lastReadAt: r.last.toISOString(),
    }));
  }

  async #reachableOwners(actor: Actor): Promise<string[]> {
    const owners = new Set<string>();
    const p = actor.principal;
    const seesAllTeams = p.kind === "org" || (p.kind === "user" && p.orgRole === "admin");
    if (p.kind === "user") {
      owners.add(p.name);
      for (const m of p.teams) owners.add(m.team);
    }
    if (p.kind === "team") owners.add(p.name);
    if (seesAllTeams) {
      for (const t of await this.stores.principals.teamNames(this.deps.db)) owners.add(t);
    }
    for (const g of actor.grants) {
      const owner = g.resource.split("/")[3];
      if (owner) owners.add(owner);
    }
    return [...owners].sort();
  }

  #sharedWith(actor: Actor, row: SecretRow): boolean {
    const uri = secretUri(this.deps.org, row.owner, row.name);
    return actor.grants.some((g) => patternCovers(g.resource, uri));
  }

  #resource(row: SecretRow) {
    return secretResource(this.deps.org, row.owner, row.owner_kind, row.name);
  }
}

/**
 * The version to reveal: the reference's `#N` or the `version` field. Both may be given only
 * when they agree (`NAME#1` with version 1); a stage goes with neither.
 */
function revealTarget(item: RevealInput, addr: SecretAddress): SecretAddress {
  const version = item.version ?? addr.version;
  if (item.version !== undefined && addr.version !== undefined && item.version !== addr.version) {
    throw invalidRequest(
      `the reference asks for version ${addr.version} (#${addr.version}) and version asks for ${item.version}: give one`,
    );
  }
  if (version !== undefined && item.stage !== undefined) {
    throw invalidRequest("give a version (or #N) or a stage, not both");
  }
  return version === undefined ? addr : { ...addr, version };
}
