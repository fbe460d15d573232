/**
 * tRPC context in two steps: the inner one holds the services (built once), the outer one
 * adds what the request says (address, request id, a way to authenticate its headers).
 * Tests call procedures with `createCaller(innerContext + actor)`, without HTTP.
 */
import { randomUUID } from "node:crypto";
import type { Actor, RequestMeta } from "./auth/actor.js";
import type { Authenticator, Headers } from "./auth/authenticate.js";
import type { Deps } from "./deps.js";
import type { Services } from "./services/services.js";

export interface Context {
  deps: Deps;
  services: Services;
  meta: RequestMeta;
  /** Already known: tests acting as someone, or an event stream authenticated before it opened. */
  actor?: Actor;
  authenticate: () => Promise<Actor>;
  /** The request's rotation job token, checked (SPEC §11: rotation.job.*). */
  authenticateJob: () => Promise<string>;
  /** A token given in a call's input (the console's sign-in), checked as a header's would be. */
  authenticateToken?: (token: string) => Promise<Actor>;
  /** The response's session cookie (the console's sign-in and sign-out); HTTP calls only. */
  sessionCookie?: SessionCookieJar;
}

export interface SessionCookieJar {
  /** The request came over TLS (directly or through a trusted proxy): `__Host-` and Secure. */
  readonly secure: boolean;
  set(secret: string, maxAgeMs: number): void;
  clear(): void;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function requestIdFrom(headers: Headers): string {
  const given = headers["x-request-id"];
  const text = Array.isArray(given) ? given[0] : given;
  return text !== undefined && REQUEST_ID_RE.test(text) ? text : randomUUID();
}

export function createContext(
  deps: Deps,
  services: Services,
  authenticator: Authenticator,
  request: {
    headers: Headers;
    ip: string;
    requestId: string;
    method: string;
    pathAndQuery: string;
    /** The body's bytes as read (signed requests cover them); none for a GET. */
    body?: Uint8Array | undefined;
    /** Came over TLS (the session cookie's name depends on it). */
    secure?: boolean | undefined;
    actor?: Actor | undefined;
    sessionCookie?: SessionCookieJar | undefined;
  },
): Context {
  // One authentication per HTTP request: the calls of a batch share it (a signature may be used
  // once only, and a failure counts once).
  let authenticated: Promise<Actor> | undefined;
  return {
    deps,
    services,
    meta: { ip: request.ip, requestId: request.requestId },
    ...(request.actor ? { actor: request.actor } : {}),
    authenticate: () =>
      (authenticated ??= authenticator.authenticate(request.headers, request.ip, {
        method: request.method,
        pathAndQuery: request.pathAndQuery,
        body: request.body,
        secure: request.secure,
      })),
    authenticateJob: () => authenticator.authenticateJob(request.headers, request.ip),
    authenticateToken: (token) =>
      authenticator.authenticate({ "x-coffer-token": token }, request.ip),
    ...(request.sessionCookie ? { sessionCookie: request.sessionCookie } : {}),
  };
}
