/**
 * The web console's session cookie (SPEC §13) and the rule for calls that carry it. The cookie
 * is HttpOnly (page scripts never see it) and SameSite=Strict; under TLS it is `__Host-` and
 * Secure (sent only over HTTPS, to this host, for every path). SameSite does not tell ports
 * apart (`http://127.0.0.1:8080` is the same site as `:7700`), so a call authenticated by the
 * cookie must also come from this origin: `Sec-Fetch-Site: same-origin`, an `Origin` whose host
 * is the request's `Host`, or the console's own header (CONSOLE_HEADER); any of them present
 * must agree. A call with none is not the console's and is refused (machines send tokens).
 */
import { forbidden } from "@coffer/core";
import { header, type Headers } from "./request-headers.js";

export const SESSION_COOKIE = "coffer_session";
export const SECURE_SESSION_COOKIE = "__Host-coffer_session";
/** SPEC §13: a session ends after 30 minutes without a call, and 12 hours after it opened. */
export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_MAX_MS = 12 * 60 * 60_000;

const SESSION_SECRET_RE = /^cfs_[0-9A-Za-z]{43}$/;

/**
 * The header the console sends with every call. A page of another origin cannot send it: a
 * header that is not CORS-safelisted makes the browser ask first (a preflight this server
 * never approves), and `no-cors` requests drop it. It stands in for `Sec-Fetch-Site`, which
 * browsers send only to secure origins (`https:` and localhost), so that the console works over
 * plain HTTP at another host name too.
 */
export const CONSOLE_HEADER = "x-coffer-console";

/**
 * The session cookie's text when the request carries one. Over TLS only the `__Host-` one: a
 * plain-named cookie can be planted by a sibling subdomain or another port of the host (a
 * sign-in as the planter); over plain HTTP only the plain one exists.
 */
export function presentedSession(headers: Headers, secure = false): string | undefined {
  const cookie = header(headers, "cookie");
  if (cookie === undefined) return undefined;
  const found = new Map<string, string>();
  for (const part of cookie.split(";")) {
    const at = part.indexOf("=");
    if (at === -1) continue;
    const name = part.slice(0, at).trim();
    if (name === SESSION_COOKIE || name === SECURE_SESSION_COOKIE) {
      found.set(name, part.slice(at + 1).trim());
    }
  }
  return secure ? found.get(SECURE_SESSION_COOKIE) : found.get(SESSION_COOKIE);
}

/** Well formed before any lookup: a cookie of another shape is no session. */
export const isWellFormedSession = (text: string): boolean => SESSION_SECRET_RE.test(text);

/** Refuses a cookie call that a page of another origin (another port included) made. */
export function requireSameOrigin(headers: Headers): void {
  const site = header(headers, "sec-fetch-site");
  const origin = header(headers, "origin");
  const host = header(headers, "host")?.toLowerCase();
  let ok = site !== undefined || origin !== undefined || header(headers, CONSOLE_HEADER) === "1";
  if (site !== undefined && site !== "same-origin") ok = false;
  if (origin !== undefined) ok &&= hostOf(origin) === host && host !== undefined;
  if (!ok) {
    throw forbidden(
      "the console's session cookie is accepted only from the console's own origin; other clients send a token",
      { reason: "cross-origin" },
    );
  }
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The Set-Cookie header that holds `secret` for `maxAgeMs`, or (`secret` undefined) drops it. */
export function sessionSetCookie(
  secret: string | undefined,
  secure: boolean,
  maxAgeMs = 0,
): string {
  const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  const attributes = [
    `${name}=${secret ?? ""}`,
    "Path=/",
    `Max-Age=${secret === undefined ? 0 : Math.floor(maxAgeMs / 1000)}`,
    "HttpOnly",
    "SameSite=Strict",
  ];
  if (secure) attributes.push("Secure");
  return attributes.join("; ");
}
