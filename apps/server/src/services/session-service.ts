/**
 * Web console sessions (SPEC §13). A person signs in by pasting a personal token; the server
 * opens a session that acts as that token (its scopes, expiry and user's rights, read at every
 * call) and hands the browser a cookie only it can read. The token itself is never kept by the
 * browser. Signing out ends the session; "sign out everywhere" ends all of the user's.
 */
import { invalidRequest } from "@coffer/core";
import { requireFullScope } from "../access.js";
import type { Actor, RequestMeta } from "../auth/actor.js";
import { SESSION_IDLE_MS, SESSION_MAX_MS } from "../auth/session-cookie.js";
import type { Deps } from "../deps.js";
import type { TokenRow } from "../stores/credential-store.js";
import { mintSessionSecret } from "../stores/session-store.js";
import type { Stores } from "../stores/stores.js";
import { audited } from "./audited.js";

export interface SessionInfo {
  user: string;
  orgRole: "admin" | "member";
  teams: { team: string; role: "admin" | "member" }[];
  /** The session's id (as the audit log names it); null for a call made with a token. */
  session: string | null;
  /** The session's absolute end (12 h after sign-in); null for a token. */
  expiresAt: string | null;
  idleTimeoutSeconds: number;
}

const PERSONAL_ONLY =
  "sign in with a personal token (a user's own): shared and exchanged tokens are for machines";

export class SessionService {
  constructor(
    private readonly deps: Pick<Deps, "db" | "log" | "credentialCache" | "now">,
    private readonly stores: Pick<Stores, "audit" | "sessions" | "credentials">,
  ) {}

  /** Opens a session for the (already authenticated) personal token; returns the cookie's text. */
  async open(actor: Actor, meta: RequestMeta): Promise<{ info: SessionInfo; secret: string }> {
    const p = actor.principal;
    if (p.kind !== "user") throw invalidRequest(PERSONAL_ONLY, { reason: "not-personal" });
    const minted = mintSessionSecret();
    const createdAt = this.deps.now();
    const expiresAt = new Date(createdAt.getTime() + SESSION_MAX_MS);
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "session.open",
      `user:${p.name}`,
      async (tx) => {
        // The token's row, locked: a session is opened from a live personal token of the user
        // only (an exchanged token may act as a user too, but it is a machine's).
        const token = await this.stores.credentials.credential<TokenRow>(
          tx,
          "token",
          actor.tokenId,
          true,
        );
        if (token?.kind !== "personal" || token.owner !== p.name || token.disabled_at !== null)
          throw invalidRequest(PERSONAL_ONLY, { reason: "not-personal" });
        await this.stores.sessions.open(tx, {
          id: minted.id,
          hash: minted.hash,
          tokenId: actor.tokenId,
          user: p.name,
          createdAt,
          expiresAt,
        });
        const session = { id: minted.id, expiresAt };
        return {
          result: { info: this.current({ ...actor, session }), secret: minted.secret },
          details: { session: minted.id },
        };
      },
    );
  }

  current(actor: Actor): SessionInfo {
    const p = actor.principal;
    if (p.kind !== "user") throw invalidRequest("only a user has a console session");
    return {
      user: p.name,
      orgRole: p.orgRole,
      teams: p.teams.map((m) => ({ team: m.team, role: m.role })),
      session: actor.session?.id ?? null,
      expiresAt: actor.session?.expiresAt.toISOString() ?? null,
      idleTimeoutSeconds: SESSION_IDLE_MS / 1000,
    };
  }

  /** Signs out: ends the calling session (a call made with a token has none to end). */
  async close(actor: Actor, meta: RequestMeta): Promise<{ ended: number }> {
    const session = actor.session;
    if (session === undefined) return { ended: 0 };
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "session.close",
      `user:${actor.label}`,
      async (tx) => ({
        result: {
          ended: (await this.stores.sessions.end(tx, session.id, this.deps.now())) ? 1 : 0,
        },
        details: { session: session.id },
      }),
    );
  }

  /** Signs out everywhere: every console session of the calling user, this one included. */
  async closeAll(actor: Actor, meta: RequestMeta): Promise<{ ended: number }> {
    const p = actor.principal;
    if (p.kind !== "user") throw invalidRequest("only a user has console sessions");
    // Ending every session is managing the user's credentials: a narrow token may not.
    requireFullScope(actor, "signing out everywhere", "manage");
    return audited(
      this.deps,
      this.stores,
      actor,
      meta,
      "session.close-all",
      `user:${p.name}`,
      async (tx) => {
        const ended = await this.stores.sessions.endAllOfUser(tx, p.name, this.deps.now());
        return { result: { ended }, details: { ended } };
      },
    );
  }
}
