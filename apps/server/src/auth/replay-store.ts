/**
 * Signatures (and exchanged OIDC ID tokens) already used, in the database so that every replica
 * refuses a replay. A row lives until what it stands for would be refused anyway (for skew, or
 * for expiry); the token job purges old rows. Given a transaction, the use counts only if it
 * commits. The rows are the credential store's (stores/credential-store.ts).
 */
import type { ReplayStore } from "@coffer/core";
import type { Queryable } from "../db/database.js";
import type { CredentialStore } from "../stores/credential-store.js";

export class DatabaseReplayStore implements ReplayStore {
  constructor(
    private readonly credentials: Pick<CredentialStore, "rememberUse">,
    private readonly db: Queryable,
  ) {}

  remember(signatureId: string, expiresAtMs: number, now: number): Promise<boolean> {
    return this.credentials.rememberUse(this.db, signatureId, new Date(expiresAtMs), new Date(now));
  }
}
