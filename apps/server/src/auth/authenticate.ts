/**
 * Turns request headers into an Actor, or refuses with UNAUTHORIZED / RATE_LIMITED. Tokens
 * come as `Authorization: Bearer <token>` or `X-Coffer-Token: <token>`; machines sign requests
 * with an access key (x-coffer-timestamp, x-coffer-access-key, x-coffer-signature, and
 * x-coffer-content-sha256 for a body). One query loads the token, its owner, the owner's teams
 * and the grants that apply; the row is then kept in the credential cache until any change that
 * could take a right away is heard (credential-cache.ts), so a disabled user or a revoked grant
 * takes effect at once here and as soon as the notification arrives on other replicas. An HTTP request is authenticated once, whatever the number of
 * calls it batches (context.ts).
 */
import {
  CofferError,
  SIGNATURE_HEADERS,
  isWellFormedJobToken,
  jobTokenLookupHash,
  tokenLookupHash,
  verifySignedRequest,
  unauthorized,
  type Principal,
} from "@coffer/core";
import type { Deps } from "../deps.js";
import type { Actor } from "./actor.js";
import { Batcher } from "../db/batcher.js";
import { accessKeyContext, type CredentialRow } from "../stores/credential-store.js";
import { rotationJobStore } from "../stores/rotation-job-store.js";
import { createStores, type Stores } from "../stores/stores.js";
import { sessionHash, type SessionCredentialRow } from "../stores/session-store.js";
import { FailureLimiter } from "./failure-limiter.js";
import { DatabaseReplayStore } from "./replay-store.js";
import { header, type Headers } from "./request-headers.js";
import {
  SESSION_IDLE_MS,
  isWellFormedSession,
  presentedSession,
  requireSameOrigin,
} from "./session-cookie.js";

export type { Headers };

export function presentedToken(headers: Headers): string | undefined {
  const direct = header(headers, "x-coffer-token");
  if (direct !== undefined && direct !== "") return direct.trim();
  const authorization = header(headers, "authorization");
  if (authorization === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match)
    throw unauthorized("the Authorization header must be `Bearer <token>`", {
      reason: "bad-header",
    });
  return match[1];
}

/** The request as sent, for signed requests: method, path with query string, body's bytes. */
export interface SignedTarget {
  method: string;
  pathAndQuery: string;
  /** Exactly as read from the wire; none for a GET. */
  body?: Uint8Array | undefined;
  /** Came over TLS (directly or through a trusted proxy): only the `__Host-` cookie counts. */
  secure?: boolean | undefined;
}

export class Authenticator {
  readonly #limiter: FailureLimiter;
  readonly #replays: DatabaseReplayStore;
  /**
   * Token lookups of concurrent requests go out together; each is still read after its
   * request arrived, so rights are those held now.
   */
  readonly #tokens: Batcher<string, CredentialRow | undefined>;

  constructor(
    private readonly deps: Pick<
      Deps,
      "db" | "org" | "config" | "metrics" | "now" | "keyring" | "protectionKeys" | "credentialCache"
    >,
    private readonly stores: Pick<Stores, "credentials" | "keys" | "sessions"> = createStores(deps),
  ) {
    this.#limiter = new FailureLimiter(deps.config.authFailuresPerMinute);
    this.#replays = new DatabaseReplayStore(stores.credentials, deps.db);
    this.#tokens = new Batcher<string, CredentialRow | undefined>(
      async (hashes) => {
        const rows = await stores.credentials.tokensByHash(deps.db, [...new Set(hashes)]);
        const byHash = new Map(rows.map((r) => [r.lookup, r]));
        return hashes.map((h) => byHash.get(h));
      },
      500,
      deps.db.engine === "pglite", // see Batcher: in-process statements never yield
    );
  }

  /**
   * The credential is checked first, always; a failure then counts against the address, and
   * past the limit is answered RATE_LIMITED instead (see failure-limiter.ts): the limiter never
   * refuses a credential that verifies.
   */
  async authenticate(headers: Headers, ip: string, target?: SignedTarget): Promise<Actor> {
    const now = this.deps.now();
    return this.#counted(ip, () => this.#verify(headers, target, now));
  }

  /** Runs a check; an UNAUTHORIZED from it counts against `ip` (RATE_LIMITED past the limit). */
  async #counted<T>(ip: string, check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (error) {
      if (!(error instanceof CofferError) || error.errorCode !== "UNAUTHORIZED") throw error;
      // A call with no credential at all guesses nothing (the console's check before sign-in,
      // from every browser behind one office address): it is not held against the address.
      const guessed = error.details["reason"] !== "no-credentials";
      const limited = guessed
        ? this.#limiter.fail(ip, this.deps.now().getTime(), "authentications")
        : undefined;
      const reason = limited ? "rate-limited" : error.details["reason"];
      this.deps.metrics.authFailures.inc({ reason: typeof reason === "string" ? reason : "other" });
      throw limited ?? error;
    }
  }

  /**
   * The job token (`cfj_…`, SPEC §11) a webhook rotator's code calls back with: it must be the
   * one most recently sent for an active job. Failures count against the address as any other.
   */
  async authenticateJob(headers: Headers, ip: string): Promise<string> {
    return this.#counted(ip, async () => {
      const token = presentedToken(headers);
      if (token === undefined || !isWellFormedJobToken(token)) {
        throw unauthorized("this call takes a rotation job token: `Authorization: Bearer cfj_…`", {
          reason: "no-job-token",
        });
      }
      if (!(await rotationJobStore.byToken(this.deps.db, jobTokenLookupHash(token)))) {
        throw unauthorized(
          "the job token is not valid: its job ended, or a newer call replaced it",
          {
            reason: "bad-job-token",
          },
        );
      }
      return token;
    });
  }

  async #verify(headers: Headers, target: SignedTarget | undefined, now: Date): Promise<Actor> {
    if (header(headers, SIGNATURE_HEADERS.signature) !== undefined) {
      if (target === undefined) throw unauthorized("signed requests are not accepted here");
      return this.#fromSignature(headers, target, now);
    }
    const session = presentedSession(headers, target?.secure);
    // A browser behind a proxy with Basic auth sends that header on every call: with a session
    // cookie, an Authorization of another scheme than Bearer is the proxy's, not ours.
    const foreign = !/^Bearer\s/i.test(header(headers, "authorization") ?? "Bearer ");
    const token =
      session !== undefined && foreign && header(headers, "x-coffer-token") === undefined
        ? undefined
        : presentedToken(headers);
    if (token !== undefined) return this.#fromToken(token, now);
    if (session !== undefined) return this.#fromSession(headers, session, now);
    throw unauthorized(
      "no credentials: send `Authorization: Bearer <token>`, `X-Coffer-Token`, or a signed request",
      { reason: "no-credentials" },
    );
  }

  /**
   * A console session (SPEC §13): from this origin only; live while not signed out, seen within
   * the idle timeout and under its absolute end. Read (and its last call noted) at every
   * request, never cached: a sign-out or an idle end takes effect at once on every replica. It
   * then acts as the token it was opened with, through the same checks as that token.
   */
  async #fromSession(headers: Headers, session: string, now: Date): Promise<Actor> {
    requireSameOrigin(headers);
    const row = isWellFormedSession(session)
      ? await this.stores.sessions.touch(
          this.deps.db,
          sessionHash(session),
          now,
          new Date(now.getTime() - SESSION_IDLE_MS),
        )
      : undefined;
    if (row === undefined) {
      throw unauthorized(
        "your console session has ended (signed out, 30 minutes without use, or 12 hours old): sign in again",
        { reason: "session-ended" },
      );
    }
    return this.#sessionActor(row, now);
  }

  #sessionActor(row: SessionCredentialRow, now: Date): Actor {
    return {
      ...this.#actor(row, now, "token"),
      session: { id: row.session_id, expiresAt: row.session_expires_at },
    };
  }

  async #fromToken(token: string, now: Date): Promise<Actor> {
    const lookup = tokenLookupHash(token);
    const cache = this.deps.credentialCache;
    const cached = cache.get(lookup);
    if (cached !== undefined) return this.#actor(cached, now, "token");
    const generation = cache.generation;
    const row = await this.#tokens.call(lookup);
    if (row !== undefined) cache.keep(lookup, row, generation);
    return this.#actor(row, now, "token");
  }

  async #fromSignature(headers: Headers, target: SignedTarget, now: Date): Promise<Actor> {
    const { accessKeyId } = await verifySignedRequest(
      { method: target.method, pathAndQuery: target.pathAndQuery, body: target.body, headers },
      {
        secretFor: (id) => this.#accessKeySecret(id, now),
        replayStore: this.#replays,
        now: now.getTime(),
      },
    );
    const row = await this.stores.credentials.accessKey(this.deps.db, accessKeyId);
    return this.#actor(row, now, "access key");
  }

  /** The access key's secret when it exists, is enabled and unexpired; opened from its seal. */
  async #accessKeySecret(id: string, now: Date): Promise<string | undefined> {
    const row = await this.stores.credentials.accessKeySecret(this.deps.db, id);
    if (!row || row.disabled_at !== null || row.expires_at.getTime() <= now.getTime())
      return undefined;
    await this.stores.keys.ensureLoaded(row.protection_key_id);
    return this.deps.keyring.open(
      {
        protectionKeyId: row.protection_key_id,
        wrappedDataKey: row.wrapped_data_key,
        ciphertext: row.ciphertext,
      },
      accessKeyContext(this.deps.org, id),
    );
  }

  #actor(row: CredentialRow | undefined, now: Date, what: "token" | "access key"): Actor {
    const reason = what === "token" ? "token" : "access-key";
    if (!row) throw unauthorized(`unknown ${what}`, { reason: `unknown-${reason}` });
    if (row.disabled_at !== null)
      throw unauthorized(`this ${what} is disabled`, { reason: `disabled-${reason}` });
    if (row.expires_at.getTime() <= now.getTime()) {
      throw unauthorized(`this ${what} has expired`, { reason: `expired-${reason}` });
    }
    const principal = toPrincipal(row);
    if (principal.kind === "user" && principal.status !== "active") {
      throw unauthorized(`user ${principal.name} is disabled`, { reason: "disabled-user" });
    }
    return {
      principal,
      credential: { scopes: row.scopes },
      tokenId: row.id,
      // A token from an OIDC exchange acts as its identity (`oidc:deploy-app`): the audit log
      // says which trust policy acted, and its exchange event says which run.
      label: row.exchanged
        ? row.name
        : principal.kind === "user"
          ? principal.name
          : principal.kind === "team"
            ? `team:${principal.name}`
            : "org",
      defaultOwner: row.owner ?? undefined,
      grants: row.grants,
    };
  }
}

function toPrincipal(row: CredentialRow): Principal {
  if (row.owner_kind === "org") return { kind: "org" };
  if (row.owner_kind === "team") return { kind: "team", name: row.owner! };
  return {
    kind: "user",
    name: row.owner!,
    orgRole: row.org_role ?? "member",
    status: row.status ?? "disabled",
    teams: row.teams,
  };
}
