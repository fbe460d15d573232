/**
 * First start (SPEC §7): creates the org, the default protection key, an `admin` user and a
 * one-time admin token, which is returned to be printed once. Later starts check that the
 * database belongs to this org. Under an advisory lock: replicas starting at once bootstrap once.
 */
import { SYSTEM, SYSTEM_META } from "./audit/audit-log.js";
import type { Deps } from "./deps.js";
import { ALL_SCOPES } from "./services/credential-issuer.js";
import type { Stores } from "./stores/stores.js";
import { addDays } from "./time.js";

const BOOTSTRAP_LOCK = 7_700_003;
export const ADMIN_USER = "admin";

export async function bootstrap(
  deps: Pick<Deps, "db" | "org" | "config" | "now">,
  stores: Pick<Stores, "org" | "keys" | "principals" | "credentials" | "audit">,
): Promise<{ adminToken?: string }> {
  return deps.db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [BOOTSTRAP_LOCK]);
    const org = await stores.org.name(tx);
    if (org !== undefined) {
      if (org !== deps.org) {
        throw new Error(`this database belongs to org "${org}", not "${deps.org}" (COFFER_ORG)`);
      }
      return {};
    }
    await stores.org.create(tx, deps.org);
    const keyId = await stores.keys.create(tx, true);
    // The audit keys derive from this key for good (see audit/audit-seal.ts).
    await stores.org.setAuditKey(tx, keyId);
    await stores.principals.insertAdmin(tx, ADMIN_USER);
    const { id, token } = await stores.credentials.insertToken(tx, {
      kind: "personal",
      ownerKind: "user",
      owner: ADMIN_USER,
      name: "first admin token",
      scopes: ALL_SCOPES,
      createdAt: deps.now(),
      expiresAt: addDays(deps.now(), deps.config.maxTokenTtlDays),
      createdBy: "bootstrap",
    });
    await stores.audit.record(tx, SYSTEM, SYSTEM_META, {
      action: "org.bootstrap",
      resource: `org:${deps.org}`,
      details: { admin: ADMIN_USER, tokenId: id },
    });
    return { adminToken: token };
  });
}
