/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message: a proxy
 * drops them both ways, with every header the Connection header names.
 */

/** Lowercase names that never cross the gateway. `proxy-connection` is the pre-standard form. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

export type HeaderValue = string | string[] | number | undefined;

/** The lowercase names a Connection header lists (`Connection: close, X-Foo`). */
export function connectionTokens(connection: HeaderValue): Set<string> {
  const tokens = new Set<string>();
  if (connection === undefined) return tokens;
  const lines = Array.isArray(connection) ? connection : [String(connection)];
  for (const line of lines) {
    for (const token of line.split(",")) {
      const name = token.trim().toLowerCase();
      if (name !== "") tokens.add(name);
    }
  }
  return tokens;
}

/**
 * A copy of `headers` (lowercase names, as Node and undici give them) without hop-by-hop
 * headers, those the Connection header names, and any name in `drop`. Names in `keep` (the
 * headers the gateway injected) stay even when the Connection header names them: a client
 * must not be able to strip an injected credential that way.
 */
export function stripHopByHop(
  headers: Readonly<Record<string, HeaderValue>>,
  drop?: ReadonlySet<string>,
  keep?: ReadonlySet<string>,
): Record<string, string | string[]> {
  const connection = headers["connection"];
  const listed = connection === undefined ? undefined : connectionTokens(connection);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP_HEADERS.has(name)) continue;
    if (listed?.has(name) === true && keep?.has(name) !== true) continue;
    if (drop?.has(name) === true) continue;
    out[name] = typeof value === "number" ? String(value) : value;
  }
  return out;
}
