/**
 * Route matching: the longest configured path prefix, on segment boundaries (`/openai`
 * matches `/openai` and `/openai/x`, not `/openaix`; `/` matches everything).
 */

export interface RouteMatch<R> {
  route: R;
  /** What follows the prefix: "" or a path starting with "/". */
  rest: string;
}

export interface RouteTable<R> {
  /** `pathname` without its query string. */
  match(pathname: string): RouteMatch<R> | undefined;
}

export function createRouteTable<R extends { path: string }>(routes: readonly R[]): RouteTable<R> {
  // Longest first, so the first hit is the longest match.
  const sorted = [...routes].sort((a, b) => b.path.length - a.path.length);
  return {
    match(pathname) {
      for (const route of sorted) {
        const prefix = route.path;
        if (prefix === "/") return { route, rest: pathname };
        if (!pathname.startsWith(prefix)) continue;
        if (pathname.length === prefix.length) return { route, rest: "" };
        if (pathname.charCodeAt(prefix.length) === 47 /* "/" */) {
          return { route, rest: pathname.slice(prefix.length) };
        }
      }
      return undefined;
    },
  };
}

const DOT_SEGMENT_RE = /(^|\/)(\.|%2e){1,2}(\/|$)/i;
/** Separators in disguise: an upstream may decode them before it resolves dot segments. */
const HIDDEN_SEPARATOR_RE = /%2f|%5c|\\/gi;

/**
 * Whether a request path is one the gateway forwards: origin-form (starts with "/") and no
 * "." or ".." segment, plain or percent-encoded, also between encoded separators (`..%2F`,
 * `%5C..`; an encoded "/" alone, as in `group%2Fproject`, is fine). An upstream that resolves
 * dot segments could otherwise be walked out of a route's base path with that route's
 * credentials attached.
 */
export function isForwardablePath(pathname: string): boolean {
  return (
    pathname.startsWith("/") && !DOT_SEGMENT_RE.test(pathname.replace(HIDDEN_SEPARATOR_RE, "/"))
  );
}

/** The upstream path: the base path of the upstream URL, then the rest of the request's. */
export function upstreamPath(basePath: string, rest: string): string {
  if (rest === "") return basePath;
  return (basePath.endsWith("/") ? basePath.slice(0, -1) : basePath) + rest;
}
