/**
 * Break-glass: a fresh token for an org admin when every admin token is lost, issued where the
 * server runs. Nothing here goes over the network: it opens the server's own storage with the
 * server's own configuration, and refuses unless the root key there unwraps every protection
 * key (so only someone holding the root key, as the server does, can issue one). Audited as
 * `token.break-glass` by `system`. On PGlite the server must be stopped first (one process
 * per data directory).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { Keyring } from "@coffer/core";
import { SYSTEM, SYSTEM_META } from "./audit/audit-log.js";
import { ADMIN_USER } from "./bootstrap.js";
import { openPglite, openPostgres, type Database } from "./db/database.js";
import type { Config } from "./env.js";
import { orgStore, ProtectionKeyStore } from "./stores/key-store.js";
import { loadRootKeys } from "./root-key.js";
import { ALL_SCOPES } from "./services/credential-issuer.js";
import { createStores } from "./stores/stores.js";
import { addDays } from "./time.js";

export interface BreakGlassOptions {
  /** The admin to issue for; default `admin`. */
  user?: string;
  /** Enable the admin first if it is disabled (otherwise refused). */
  enable?: boolean;
  /** The token's lifetime in days (default 1, at most the configured maximum). */
  days?: number;
  now?: () => Date;
}

export interface BreakGlassToken {
  user: string;
  tokenId: string;
  token: string;
  expiresAt: Date;
  /** Whether the admin was disabled and this enabled it. */
  enabled: boolean;
}

/** A refusal to show the operator as it is (no stack trace). */
export class BreakGlassError extends Error {}

/** Loads the root keys without ever making one: a missing key file is an error here. */
async function rootKeys(config: Config): Promise<Buffer[]> {
  const file = config.rootKeyFile ?? path.join(config.dataDir, "root.key");
  if (config.rootKey === undefined && !existsSync(file))
    throw new BreakGlassError(
      `no root key in ${file}: run this where the server runs, with its COFFER_DATA_DIR, ` +
        "COFFER_ROOT_KEY or COFFER_ROOT_KEY_FILE",
    );
  try {
    return (await loadRootKeys({ ...config, rootKeyFile: config.rootKeyFile ?? file })).keys;
  } catch (error) {
    throw new BreakGlassError(
      `cannot load the root key (${error instanceof Error ? error.message : String(error)}): ` +
        "run this where the server runs, with the server's COFFER_* settings",
    );
  }
}

export async function issueBreakGlassToken(
  config: Config,
  options: BreakGlassOptions = {},
): Promise<BreakGlassToken> {
  const user = options.user ?? ADMIN_USER;
  const days = options.days ?? 1;
  if (days > config.maxTokenTtlDays)
    throw new BreakGlassError(`a token lives at most ${config.maxTokenTtlDays} days`);
  const keys = await rootKeys(config);
  const dbDir = path.join(config.dataDir, "db");
  if (config.databaseUrl === undefined && !existsSync(path.join(dbDir, "PG_VERSION")))
    throw new BreakGlassError(
      `no embedded database in ${dbDir}: run this where the server runs (COFFER_DATA_DIR)`,
    );
  const db: Database =
    config.databaseUrl !== undefined ? openPostgres(config.databaseUrl) : await openPglite(dbDir);
  try {
    const org = await orgStore.name(db).catch(() => undefined);
    if (org === undefined)
      throw new BreakGlassError("no Coffer org in this storage: start the server first");
    if (org !== config.org)
      throw new BreakGlassError(`this storage belongs to org "${org}", not "${config.org}"`);
    const keyring = new Keyring(config.org, keys);
    const protectionKeys = new ProtectionKeyStore(db, keyring);
    const stores = createStores({ db, keyring, protectionKeys });
    try {
      await protectionKeys.loadAll();
    } catch {
      throw new BreakGlassError(
        "the root key here does not unwrap the protection keys: use the server's root key",
      );
    }
    const now = (options.now ?? (() => new Date()))();
    return await db.transaction(async (tx) => {
      const row = await stores.principals.updateLocked(tx, user);
      if (!row || row.kind !== "user") throw new BreakGlassError(`no user ${user}`);
      if (row.org_role !== "admin")
        throw new BreakGlassError(`${user} is not an org admin: break-glass is for admins`);
      const enabled = row.status !== "active";
      if (enabled && options.enable !== true)
        throw new BreakGlassError(`${user} is disabled: add --enable to enable it and go on`);
      if (enabled) {
        await stores.principals.activate(tx, user);
        await stores.audit.record(tx, SYSTEM, SYSTEM_META, {
          action: "user.enable",
          resource: `user:${user}`,
          details: { by: "break-glass" },
        });
      }
      const expiresAt = addDays(now, days);
      const made = await stores.credentials.insertToken(tx, {
        kind: "personal",
        ownerKind: "user",
        owner: user,
        name: "break-glass",
        scopes: ALL_SCOPES,
        createdAt: now,
        expiresAt,
        createdBy: "break-glass",
      });
      await stores.audit.record(tx, SYSTEM, SYSTEM_META, {
        action: "token.break-glass",
        resource: `token:${made.id}`,
        details: { user, enabled, days },
      });
      return { user, tokenId: made.id, token: made.token, expiresAt, enabled };
    });
  } finally {
    await db.close();
  }
}
