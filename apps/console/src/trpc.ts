/**
 * The console's tRPC client: one batch link to `/trpc` on this origin, the session cookie sent
 * with every call (the browser never holds a token).
 *
 * Rules for values (SPEC §13), which every page follows. A value is a secret's value, a new
 * token, an access key's secret or a generated value.
 * - It is fetched only through the vanilla client (`useTRPCClient().secret.reveal.mutate(...)`,
 *   `useTRPCClient().random.generate.mutate()`), never through useQuery or useMutation: their
 *   caches keep results and variables. A call that sends a value (a create, a new version, a
 *   sign-in token) goes through the vanilla client too, for the same reason.
 * - It is kept in component state only: never in a URL, document.title, localStorage,
 *   sessionStorage, IndexedDB or a log.
 * - Value inputs are write-only: the page never puts a value from the server back into one.
 *
 * Only types come from `@coffer/server` and `@coffer/core`: core's runtime compiles schemas
 * with `new Function`, which the console's CSP (no eval) forbids.
 */
import type { AppRouter } from "@coffer/server";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export type ConsoleClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/**
 * The client; `onUnauthorized` hears every 401 except sign-in's own, so that a session that
 * ends (idle, absolute timeout, signed out elsewhere, user disabled) sends the page back to
 * sign-in whichever call noticed it, the vanilla client's included.
 */
export function makeClient(onUnauthorized: () => void): ConsoleClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: "/trpc",
        // Proof of this origin where browsers send no Sec-Fetch-Site (plain HTTP at a host
        // name): another origin's page cannot send this header (apps/server session-cookie.ts).
        headers: { "x-coffer-console": "1" },
        async fetch(url, options) {
          // tRPC's RequestInitEsque is the browser's RequestInit, less exact about undefined.
          const init = { ...(options as RequestInit), credentials: "same-origin" as const };
          const response = await fetch(url, init);
          const path = typeof url === "string" ? url : url instanceof URL ? url.href : url.url;
          if (response.status === 401 && !path.includes("session.open")) onUnauthorized();
          return response;
        },
      }),
    ],
  });
}
