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
    actor?: Actor | undefined;
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
      })),
    authenticateJob: () => authenticator.authenticateJob(request.headers, request.ip),
  };
}
