/**
 * Turns request headers into an Actor, or refuses with UNAUTHORIZED / RATE_LIMITED. Tokens
 * come as `Authorization: Bearer <token>` or `X-Coffer-Token: <token>`. One query loads the
 * token, its owner, the owner's teams and the grants that apply: rights are read at every
 * request, so a disabled user or a revoked grant takes effect at once.
 */
import {
  CofferError,
  tokenLookupHash,
  unauthorized,
  type Grant,
  type Membership,
  type Principal,
  type TokenScope,
} from "@coffer/core";
import type { Deps } from "../deps.js";
import type { Actor } from "./actor.js";
import { FailureLimiter } from "./failure-limiter.js";

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

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

interface TokenRow {
  id: string;
  owner_kind: "user" | "team" | "org";
  owner: string | null;
  scopes: TokenScope[];
  expires_at: Date;
  disabled_at: Date | null;
  status: "active" | "disabled" | null;
  org_role: "admin" | "member" | null;
  teams: Membership[];
  grants: Grant[];
}

const TOKEN_QUERY = `
  SELECT t.id, t.owner_kind, t.owner, t.scopes, t.expires_at, t.disabled_at, p.status, p.org_role,
    COALESCE((SELECT json_agg(json_build_object('team', m.team, 'role', m.role))
              FROM team_members m WHERE m.member = t.owner), '[]'::json) AS teams,
    COALESCE((SELECT json_agg(json_build_object('subject', g.subject, 'resource', g.resource, 'level', g.level))
              FROM grants g
              WHERE g.subject = t.owner
                 OR g.subject IN (SELECT m.team FROM team_members m WHERE m.member = t.owner)), '[]'::json) AS grants
  FROM tokens t LEFT JOIN principals p ON p.name = t.owner
  WHERE t.hash = $1`;

export class Authenticator {
  readonly #limiter: FailureLimiter;

  constructor(private readonly deps: Deps) {
    this.#limiter = new FailureLimiter(deps.config.authFailuresPerMinute);
  }

  async authenticate(headers: Headers, ip: string): Promise<Actor> {
    let token: string | undefined;
    try {
      token = presentedToken(headers);
    } catch (error) {
      this.#failed(FailureLimiter.key(ip, undefined), error);
    }
    const key = FailureLimiter.key(ip, token);
    const now = this.deps.now();
    if (this.#limiter.blocked(key, now.getTime())) {
      this.deps.metrics.authFailures.inc({ reason: "rate-limited" });
      throw new CofferError("RATE_LIMITED", "too many failed authentications; wait a minute", {
        retryAfterSeconds: 60,
      });
    }
    try {
      if (token === undefined) {
        throw unauthorized(
          "no credentials: send `Authorization: Bearer <token>` or `X-Coffer-Token`",
          {
            reason: "no-credentials",
          },
        );
      }
      return await this.#fromToken(token, now);
    } catch (error) {
      this.#failed(key, error);
    }
  }

  #failed(key: string, error: unknown): never {
    if (error instanceof CofferError && error.errorCode === "UNAUTHORIZED") {
      this.#limiter.fail(key, this.deps.now().getTime());
      const reason = error.details["reason"];
      this.deps.metrics.authFailures.inc({ reason: typeof reason === "string" ? reason : "other" });
    }
    throw error;
  }

  async #fromToken(token: string, now: Date): Promise<Actor> {
    const hash = tokenLookupHash(token);
    const [row] = await this.deps.db.query<TokenRow>(TOKEN_QUERY, [hash]);
    if (!row) throw unauthorized("unknown token", { reason: "unknown-token" });
    if (row.disabled_at !== null)
      throw unauthorized("this token is disabled", { reason: "disabled-token" });
    if (row.expires_at.getTime() <= now.getTime()) {
      throw unauthorized("this token has expired", { reason: "expired-token" });
    }
    const principal = toPrincipal(row);
    if (principal.kind === "user" && principal.status !== "active") {
      throw unauthorized(`user ${principal.name} is disabled`, { reason: "disabled-user" });
    }
    return {
      principal,
      credential: { scopes: row.scopes },
      tokenId: row.id,
      label:
        principal.kind === "user"
          ? principal.name
          : principal.kind === "team"
            ? `team:${principal.name}`
            : "org",
      defaultOwner: row.owner ?? undefined,
      grants: row.grants,
    };
  }
}

function toPrincipal(row: TokenRow): Principal {
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
