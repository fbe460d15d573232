/**
 * Hooks and automations (SPEC §12): created, changed, listed and deleted here; the hook worker
 * delivers. Hooks and automations are owned like secrets (owned-access.ts): `manage` on the
 * owner's secrets to change them, `read` to see them.
 *
 * Saving a hook compiles its templates (core's hooks/template.ts: the rules that keep a value
 * data), checks every secret they name (it exists, the caller and the hook's owner can read
 * it) and that `allowSecrets` covers it: a hook names the secrets it may use. Changing the URL's
 * origin clears `allowSecrets`; if the templates name secrets, the same call must give the list
 * again (a secret never follows a hook to a new host unless someone says so). A hook without a
 * signing secret gets a fresh Standard Webhooks key, in a secret of its owner's.
 */
import {
  compileHookTemplate,
  compileUrl,
  formatTemplateRef,
  invalidRequest,
  invalidStatus,
  notFound,
  parseSecretRef,
  patternCovers,
  type AutomationPage,
  type AutomationRefInput,
  type AutomationView,
  type CreateAutomationInput,
  type CreateHookInput,
  type HookPage,
  type HookRefInput,
  type HookView,
  type ListAutomationsInput,
  type ListHooksInput,
  type SecretUsedByInput,
  type SecretUsedByView,
  type UpdateHookInput,
} from "@coffer/core";
import { can } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import type { Queryable } from "../db/database.js";
import type { Deps } from "../deps.js";
import type { AutomationRow, HookRow, HookSettings } from "../stores/hook-store.js";
import type { Stores } from "../stores/stores.js";
import { audited } from "./audited.js";
import { decodeSecretCursor, pageByName } from "./cursors.js";
import { namedSecret } from "./named-secret.js";
import {
  managedOwner,
  ownedAddress,
  ownedAuditResource,
  ownedRef,
  readableOwners,
  requireOwned,
  type OwnedAddress,
} from "./owned-access.js";
import { rightsOf, type PrincipalRights } from "./principal-rights.js";
import { addressOf, missing, secretResource } from "./secret-lookup.js";
import { usedBy } from "./secret-used-by.js";
import type { SecretWriter } from "./secret-writer.js";
import { SigningSecrets } from "./signing-secrets.js";

const MAX_PAGE = 500;

export class HookService {
  readonly #signing: SigningSecrets;

  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "org" | "now">,
    private readonly stores: Pick<
      Stores,
      "hooks" | "deliveries" | "secrets" | "principals" | "grants" | "audit" | "rotation"
    >,
    secretWriter: Pick<SecretWriter, "create">,
  ) {
    this.#signing = new SigningSecrets(deps, stores, secretWriter);
  }

  async create(actor: Actor, meta: RequestMeta, input: CreateHookInput): Promise<HookView> {
    const owner = input.owner ?? actor.defaultOwner;
    if (owner === undefined) {
      throw invalidRequest("a hook needs an owner: this token has none, so name one");
    }
    const address = { owner, name: input.name };
    const resource = ownedAuditResource("hook", address);
    const fields = {
      description: input.description ?? "",
      url: input.url,
      headers: input.headers ?? {},
      body: input.body ?? null,
      allowSecrets: input.allowSecrets ?? [],
      enabled: true,
    };
    // Everything but the key is checked before a signing secret is made for the hook, so that
    // a refused hook leaves none behind.
    const signingSecret =
      input.signingSecret ??
      (await this.#signing.make(actor, meta, "hook", address, resource, async (q) => {
        const rights = await managedOwner(this.deps.org, this.stores, q, actor, owner);
        if (await this.stores.hooks.hook(q, owner, input.name)) throw hookExists(address);
        await this.#settings(q, actor, rights, { ...fields, signingSecret: undefined });
      }));
    return audited(this.deps, this.stores, actor, meta, "hook.create", resource, async (tx) => {
      const rights = await managedOwner(this.deps.org, this.stores, tx, actor, owner);
      const settings = await this.#settings(tx, actor, rights, { ...fields, signingSecret });
      const row = await this.stores.hooks.insertHook(tx, owner, input.name, settings);
      if (!row) throw hookExists(address);
      return { result: toHookView(row), details: { url: originOf(row.url) } };
    });
  }

  update(actor: Actor, meta: RequestMeta, input: UpdateHookInput): Promise<HookView> {
    const address = ownedAddress("hook", input.hook, actor);
    const resource = ownedAuditResource("hook", address);
    return audited(this.deps, this.stores, actor, meta, "hook.update", resource, async (tx) => {
      const found = await this.stores.hooks.hook(tx, address.owner, address.name, "update");
      const row = requireOwned("hook", actor, this.deps.org, address, found, "manage");
      const rights = await rightsOf(this.stores, tx, row.owner);
      const url = input.url ?? row.url;
      const moved = originOf(url) !== originOf(row.url);
      const allowSecrets = input.allowSecrets ?? (moved ? [] : row.allow_secrets);
      const settings = await this.#settings(
        tx,
        actor,
        rights,
        {
          description: input.description ?? row.description,
          url,
          headers: input.headers ?? row.headers,
          body: input.body === undefined ? row.body : input.body,
          allowSecrets,
          signingSecret: input.signingSecret ?? row.signing_secret,
          enabled: input.enabled ?? row.enabled,
        },
        moved && input.allowSecrets === undefined,
      );
      await this.stores.hooks.updateHook(tx, row.id, settings);
      if (settings.enabled === false && row.enabled) {
        await this.stores.deliveries.failPending(tx, row.id, settings.at);
      }
      const after = (await this.stores.hooks.hookById(tx, row.id))!;
      return {
        result: toHookView(after),
        details: {
          fields: Object.keys(input).filter((k) => k !== "hook"),
          ...(moved
            ? { url: originOf(url), allowSecretsCleared: input.allowSecrets === undefined }
            : {}),
        },
      };
    });
  }

  async list(actor: Actor, input: ListHooksInput): Promise<HookPage> {
    const limit = Math.min(input.limit ?? 100, MAX_PAGE);
    const after = input.cursor === undefined ? null : decodeSecretCursor(input.cursor);
    const owners = await this.#readableOwners(actor, "hooks", input.owner);
    if (owners.length === 0) return { items: [], nextCursor: null };
    const rows = await this.stores.hooks.hookPage(this.deps.db, owners, after, limit + 1);
    return pageByName(rows, limit, toHookView);
  }

  async get(actor: Actor, input: HookRefInput): Promise<HookView> {
    return toHookView(await this.readable(actor, this.deps.db, input.hook, "read"));
  }

  /**
   * The hook `ref` names, if the caller holds `level` on it (NOT_FOUND below `list`); with
   * `share`, kept from being deleted until `q` ends (something is made for it).
   */
  async readable(
    actor: Actor,
    q: Queryable,
    ref: string,
    level: "read" | "manage",
    lock?: "share",
  ): Promise<HookRow> {
    const address = ownedAddress("hook", ref, actor);
    const row = await this.stores.hooks.hook(q, address.owner, address.name, lock);
    return requireOwned("hook", actor, this.deps.org, address, row, level);
  }

  remove(
    actor: Actor,
    meta: RequestMeta,
    input: HookRefInput,
  ): Promise<{ hook: string; deleted: true }> {
    const address = ownedAddress("hook", input.hook, actor);
    const resource = ownedAuditResource("hook", address);
    return audited(this.deps, this.stores, actor, meta, "hook.delete", resource, async (tx) => {
      const found = await this.stores.hooks.hook(tx, address.owner, address.name, "update");
      const row = requireOwned("hook", actor, this.deps.org, address, found, "manage");
      const automations = await this.stores.hooks.automationsOf(tx, [row.id]);
      if (automations.length > 0) {
        const names = automations.map((a) => `${a.owner}/${a.name}`);
        throw invalidStatus(
          `hook ${ownedRef(address)} is used by automation ${names.join(", ")}: delete them first`,
          { hook: ownedRef(address), automations: names },
        );
      }
      await this.stores.hooks.removeHook(tx, row.id);
      return { result: { hook: ownedRef(address), deleted: true as const } };
    });
  }

  async createAutomation(
    actor: Actor,
    meta: RequestMeta,
    input: CreateAutomationInput,
  ): Promise<AutomationView> {
    const owner = input.owner ?? actor.defaultOwner;
    if (owner === undefined) {
      throw invalidRequest("an automation needs an owner: this token has none, so name one");
    }
    const address = { owner, name: input.name };
    const resource = ownedAuditResource("automation", address);
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "automation.create",
      resource,
      async (tx) => {
        await managedOwner(this.deps.org, this.stores, tx, actor, owner);
        const hookAddress = ownedAddress("hook", input.hook, { ...actor, defaultOwner: owner });
        const found = await this.stores.hooks.hook(
          tx,
          hookAddress.owner,
          hookAddress.name,
          "share",
        );
        const hook = requireOwned("hook", actor, this.deps.org, hookAddress, found, "read");
        if (hook.owner !== owner) {
          throw invalidRequest(
            `automation ${ownedRef(address)} must fire a hook of ${owner}'s; ${ownedRef(hookAddress)} is ${hook.owner}'s`,
            { field: "hook" },
          );
        }
        const match = this.#match(input.match);
        const id = await this.stores.hooks.insertAutomation(tx, {
          owner,
          name: input.name,
          description: input.description ?? "",
          events: input.on,
          match,
          hookId: hook.id,
          at: this.deps.now(),
          by: actor.label,
        });
        if (id === undefined) {
          throw invalidStatus(`automation ${ownedRef(address)} already exists`, {
            automation: ownedRef(address),
          });
        }
        const row = (await this.stores.hooks.automation(tx, owner, input.name))!;
        return {
          result: toAutomationView(row),
          details: { hook: ownedRef(hookAddress), on: input.on, match },
        };
      },
    );
  }

  async listAutomations(actor: Actor, input: ListAutomationsInput): Promise<AutomationPage> {
    const limit = Math.min(input.limit ?? 100, MAX_PAGE);
    const after = input.cursor === undefined ? null : decodeSecretCursor(input.cursor);
    const owners = await this.#readableOwners(actor, "automations", input.owner);
    if (owners.length === 0) return { items: [], nextCursor: null };
    const hookId =
      input.hook === undefined
        ? null
        : (await this.readable(actor, this.deps.db, input.hook, "read")).id;
    const rows = await this.stores.hooks.automationPage(
      this.deps.db,
      owners,
      hookId,
      after,
      limit + 1,
    );
    return pageByName(rows, limit, toAutomationView);
  }

  removeAutomation(
    actor: Actor,
    meta: RequestMeta,
    input: AutomationRefInput,
  ): Promise<{ automation: string; deleted: true }> {
    const address = ownedAddress("automation", input.automation, actor);
    const resource = ownedAuditResource("automation", address);
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "automation.delete",
      resource,
      async (tx) => {
        const found = await this.stores.hooks.automation(tx, address.owner, address.name, true);
        const row = requireOwned("automation", actor, this.deps.org, address, found, "manage");
        await this.stores.hooks.removeAutomation(tx, row.id);
        return { result: { automation: ownedRef(address), deleted: true as const } };
      },
    );
  }

  /** Who names the secret (`list` on it needed; others' things are counted, not named). */
  async usedBy(actor: Actor, input: SecretUsedByInput): Promise<SecretUsedByView> {
    const addr = addressOf(input.secret, actor, this.deps.org);
    const row = await this.stores.secrets.find(this.deps.db, addr.owner, addr.name, true);
    const resource = row && secretResource(this.deps.org, row.owner, row.owner_kind, row.name);
    if (!row || !resource || !can(actor, resource, "list")) {
      throw missing(this.deps.org, addr.owner, addr.name);
    }
    return usedBy(this.deps.org, this.stores, this.deps.db, actor, row);
  }

  /** The owners whose hooks (or automations) the caller may read, one or all. */
  async #readableOwners(
    actor: Actor,
    of: "hooks" | "automations",
    only: string | undefined,
  ): Promise<string[]> {
    return readableOwners(
      this.deps.org,
      actor,
      await this.stores.hooks.owners(this.deps.db, of),
      only,
    );
  }

  /** `*` or a secret pattern of this org. */
  #match(pattern: string): string {
    if (pattern === "*") return pattern;
    const org = /^secret:\/\/([^/]+)\//.exec(pattern)?.[1];
    if (org !== this.deps.org) {
      throw invalidRequest(`match: no org "${org ?? ""}" here; write secret://${this.deps.org}/…`, {
        field: "match",
      });
    }
    return pattern;
  }

  /**
   * A hook's settings checked: templates compiled, every secret they name readable by the
   * caller and the owner and covered by `allowSecrets` (normalised to grant patterns), the
   * signing secret likewise.
   */
  async #settings(
    tx: Queryable,
    actor: Actor,
    owner: PrincipalRights,
    s: Omit<HookSettings, "secretRefs" | "at" | "by" | "signingSecret"> & {
      /** Undefined: checked later (a key not made yet). */
      signingSecret: string | undefined;
    },
    allowCleared = false,
  ): Promise<HookSettings> {
    const compiled = compileHookTemplate(s);
    const allowSecrets = [...new Set(s.allowSecrets.map((p) => this.#pattern(p, owner.name)))];
    const secretRefs: string[] = [];
    for (const ref of compiled.secrets) {
      const written = formatTemplateRef(ref);
      const row = await namedSecret(
        this.deps.org,
        this.stores,
        tx,
        actor,
        owner,
        `${ref.owner ?? owner.name}/${ref.name}`,
        `template ${written}`,
        "hook",
      );
      const uri = uriOf(this.deps.org, row);
      if (!allowSecrets.some((p) => patternCovers(p, uri))) {
        throw invalidRequest(
          allowCleared
            ? `the URL's host changes, which clears allowSecrets, and the templates name ${written}: give allowSecrets again in this call to send it to the new host`
            : `the templates name ${written}, which allowSecrets does not cover: add ${row.owner}/${row.name} (or ${row.owner}/*) to allowSecrets`,
          { field: "allowSecrets", template: written },
        );
      }
      secretRefs.push(`${row.owner}/${row.name}`);
    }
    const signing =
      s.signingSecret === undefined
        ? undefined
        : await namedSecret(
            this.deps.org,
            this.stores,
            tx,
            actor,
            owner,
            s.signingSecret,
            "signingSecret",
            "hook",
          );
    return {
      ...s,
      allowSecrets,
      secretRefs: [...new Set(secretRefs)],
      signingSecret: signing === undefined ? "" : `${signing.owner}/${signing.name}`,
      at: this.deps.now(),
      by: actor.label,
    };
  }

  /** An allowSecrets pattern as a grant pattern: `secret://ORG/OWNER/NAME` or `…/OWNER/*`. */
  #pattern(pattern: string, owner: string): string {
    if (pattern.endsWith("/*") && !pattern.startsWith("secret://")) {
      return `secret://${this.deps.org}/${pattern.slice(0, -2)}/*`;
    }
    if (pattern.startsWith("secret://") && pattern.endsWith("/*")) {
      this.#match(pattern);
      return pattern;
    }
    const uri = parseSecretRef(pattern, { org: this.deps.org, defaultOwner: owner });
    if (uri.org !== this.deps.org) throw notFound(`no org "${uri.org}" here`);
    return uriOf(this.deps.org, uri);
  }
}

const uriOf = (org: string, s: { owner: string; name: string }): string =>
  `secret://${org}/${s.owner}/${s.name}`;

/** The scheme, host and port of a hook URL (templates stand only after them). */
const originOf = (url: string): string => compileUrl(url).origin;

const hookExists = (address: OwnedAddress) =>
  invalidStatus(`hook ${ownedRef(address)} already exists`, { hook: ownedRef(address) });

export function toHookView(row: HookRow): HookView {
  return {
    ref: `${row.owner}/${row.name}`,
    owner: row.owner,
    name: row.name,
    description: row.description,
    url: row.url,
    headers: row.headers,
    body: row.body,
    allowSecrets: row.allow_secrets,
    secrets: compileHookTemplate(row).secrets.map(formatTemplateRef),
    signingSecret: row.signing_secret,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    disabledAt: row.disabled_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

function toAutomationView(row: AutomationRow): AutomationView {
  return {
    ref: `${row.owner}/${row.name}`,
    owner: row.owner,
    name: row.name,
    description: row.description,
    on: row.events,
    match: row.match,
    hook: `${row.hook_owner}/${row.hook_name}`,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
  };
}
