/**
 * A header the middleware sets must reach the upstream: a client that names it in its own
 * `Connection` header (`Connection: authorization`) would have the next proxy drop it as
 * hop-by-hop (RFC 9110 §7.6.1), after the value was injected. So the injected names are taken
 * out of that list.
 */
import type { IncomingHttpHeaders } from "node:http";

/** Removes `names` (lowercase) from the list in `headers.connection`; drops it when emptied. */
export function unlistFromConnection(
  headers: IncomingHttpHeaders,
  names: ReadonlySet<string>,
): void {
  const connection = headers.connection;
  if (connection === undefined || names.size === 0) return;
  // The usual one-token header (`keep-alive`, `close`): nothing to split.
  if (!connection.includes(",") && !names.has(connection.trim().toLowerCase())) return;
  const tokens = connection.split(",").map((token) => token.trim());
  const kept = tokens.filter((token) => token !== "" && !names.has(token.toLowerCase()));
  if (kept.length === tokens.length) return;
  if (kept.length === 0) delete headers.connection;
  else headers.connection = kept.join(", ");
}
