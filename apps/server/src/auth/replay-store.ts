/**
 * Signatures (and exchanged OIDC ID tokens) already used, in the database so that every replica
 * refuses a replay. A row lives until what it stands for would be refused anyway (for skew, or
 * for expiry); the token job purges old rows. Given a transaction, the use counts only if it
 * commits.
 */
import { createHash } from "node:crypto";
import type { ReplayStore } from "@coffer/core";
import type { Queryable } from "../db/database.js";

export class DatabaseReplayStore implements ReplayStore {
  constructor(private readonly db: Queryable) {}

  async remember(signatureId: string, expiresAtMs: number, now: number): Promise<boolean> {
    const id = createHash("sha256").update(signatureId).digest("hex");
    const rows = await this.db.query(
      `INSERT INTO signature_replays (id, expires_at) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE signature_replays.expires_at <= $3
       RETURNING id`,
      [id, new Date(expiresAtMs), new Date(now)],
    );
    return rows.length === 1;
  }
}
