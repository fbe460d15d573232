/**
 * First start (SPEC §7): creates the org, the default protection key, an `admin` user and a
 * one-time admin token, which is returned to be printed once. Later starts check that the
 * database belongs to this org. Under an advisory lock: replicas starting at once bootstrap once.
 */
import { recordAudit, SYSTEM, SYSTEM_META } from "./audit/audit-log.js";
import type { Deps } from "./deps.js";
import { ALL_SCOPES, insertToken } from "./services/token-service.js";
import { addDays } from "./time.js";

const BOOTSTRAP_LOCK = 7_700_003;
export const ADMIN_USER = "admin";

export async function bootstrap(deps: Deps): Promise<{ adminToken?: string }> {
  return deps.db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [BOOTSTRAP_LOCK]);
    const [org] = await tx.query<{ name: string }>("SELECT name FROM org");
    if (org) {
      if (org.name !== deps.org) {
        throw new Error(
          `this database belongs to org "${org.name}", not "${deps.org}" (COFFER_ORG)`,
        );
      }
      return {};
    }
    await tx.query("INSERT INTO org (name) VALUES ($1)", [deps.org]);
    const keyId = await deps.protectionKeys.create(tx, true);
    // The audit keys derive from this key for good (see audit/audit-seal.ts).
    await tx.query("UPDATE org SET audit_key_id = $1", [keyId]);
    await tx.query(
      "INSERT INTO principals (name, kind, org_role, created_by) VALUES ($1, 'user', 'admin', 'bootstrap')",
      [ADMIN_USER],
    );
    const { id, token } = await insertToken(tx, {
      kind: "personal",
      ownerKind: "user",
      owner: ADMIN_USER,
      name: "first admin token",
      scopes: ALL_SCOPES,
      createdAt: deps.now(),
      expiresAt: addDays(deps.now(), deps.config.maxTokenTtlDays),
      createdBy: "bootstrap",
    });
    await recordAudit(deps, tx, SYSTEM, SYSTEM_META, {
      action: "org.bootstrap",
      resource: `org:${deps.org}`,
      details: { admin: ADMIN_USER, tokenId: id },
    });
    return { adminToken: token };
  });
}
