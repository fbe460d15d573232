/**
 * Web console sessions (`console_sessions`, SPEC §13): the only module that names the table. A
 * session stands for the personal token it was opened with; its cookie's text is never stored,
 * only its hash (as tokens).
 */
import { createHash } from "node:crypto";
import { BASE62, randomString } from "@coffer/core";
import type { Queryable } from "../db/database.js";
import { credentialQuery, type CredentialRow } from "./credential-store.js";

/** The cookie's text: `cfs_` and 43 base62 characters (256 bits). */
export function mintSessionSecret(): { id: string; secret: string; hash: string } {
  const secret = `cfs_${randomString(BASE62, 43)}`;
  return { id: `ses_${randomString(BASE62, 16)}`, secret, hash: sessionHash(secret) };
}

export const sessionHash = (secret: string): string =>
  createHash("sha256").update(secret, "utf8").digest("hex");

export interface NewSession {
  id: string;
  hash: string;
  tokenId: string;
  user: string;
  createdAt: Date;
  expiresAt: Date;
}

/** A live session's credential: the token's row, as token authentication reads it. */
export interface SessionCredentialRow extends CredentialRow {
  session_id: string;
  session_expires_at: Date;
}

/**
 * Touches a live session and reads its token in one statement: a session is live while not
 * ended, before its absolute end, and seen within the idle timeout (`idleSince` = now - idle).
 */
const TOUCH = `
  WITH s AS (
    UPDATE console_sessions SET last_seen_at = $2
      WHERE hash = $1 AND ended_at IS NULL AND expires_at > $2 AND last_seen_at > $3
      RETURNING id, token_id, user_name, expires_at)
  SELECT c.*, s.id AS session_id, s.expires_at AS session_expires_at
  FROM (${credentialQuery("tokens", "t.id = (SELECT token_id FROM s) AND t.kind = 'personal'")}) c
  JOIN s ON s.token_id = c.id AND s.user_name = c.owner`;

export const sessionStore = {
  /** Opens a session for a personal token of `user` (the caller checked it is one). */
  async open(q: Queryable, s: NewSession): Promise<void> {
    await q.query(
      `INSERT INTO console_sessions (id, hash, token_id, user_name, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $5, $6)`,
      [s.id, s.hash, s.tokenId, s.user, s.createdAt, s.expiresAt],
    );
  },

  async touch(
    q: Queryable,
    hash: string,
    now: Date,
    idleSince: Date,
  ): Promise<SessionCredentialRow | undefined> {
    const [row] = await q.query<SessionCredentialRow>(TOUCH, [hash, now, idleSince]);
    return row;
  },

  /** Ends one session (sign-out); false when it had already ended. */
  async end(q: Queryable, id: string, now: Date): Promise<boolean> {
    const rows = await q.query(
      "UPDATE console_sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL RETURNING id",
      [id, now],
    );
    return rows.length === 1;
  },

  /** Ends every session of a user (sign out everywhere, the user disabled); how many. */
  async endAllOfUser(q: Queryable, user: string, now: Date): Promise<number> {
    const rows = await q.query(
      "UPDATE console_sessions SET ended_at = $2 WHERE user_name = $1 AND ended_at IS NULL RETURNING id",
      [user, now],
    );
    return rows.length;
  },

  /** Ends every session opened with a token (the token disabled or revoked). */
  async endAllOfToken(q: Queryable, tokenId: string, now: Date): Promise<void> {
    await q.query(
      "UPDATE console_sessions SET ended_at = $2 WHERE token_id = $1 AND ended_at IS NULL",
      [tokenId, now],
    );
  },

  /** Sessions that ended, or reached their absolute end, before `before` are forgotten. */
  async purge(q: Queryable, before: Date): Promise<void> {
    await q.query("DELETE FROM console_sessions WHERE ended_at < $1 OR expires_at < $1", [before]);
  },
};

export type SessionStore = typeof sessionStore;
