/** The console: providers, the session gate (sign-in until a session is live), layout, routes. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Layout } from "./layout.js";
import { SignInPage } from "./pages/sign-in.js";
import { SessionContext, type Session, type SessionState } from "./session.js";
import { makeClient, TRPCProvider } from "./trpc.js";
import { callError, isUnauthorized } from "./ui/error-notice.js";
import { Loading } from "./ui/loading.js";
import { retryQuery } from "./ui/retry.js";

type Gate =
  | { state: "checking" }
  | { state: "signed-out"; ended: boolean; error?: unknown }
  | { state: "signed-in"; session: Session };

export function App() {
  const [gate, setGate] = useState<Gate>({ state: "checking" });
  const signedIn = useRef(false);
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            // Only network failures and 5xx: a refusal (an ended session, 403, 404) shows at once.
            retry: retryQuery,
            staleTime: 10_000,
          },
        },
      }),
  );
  // Any 401 while signed in means the session ended (idle or absolute timeout, signed out
  // everywhere, user disabled): forget everything fetched and ask for a token again.
  const [client] = useState(() =>
    makeClient(() => {
      if (!signedIn.current) return;
      signedIn.current = false;
      queryClient.clear();
      setGate({ state: "signed-out", ended: true });
    }),
  );
  // The vanilla client hands out a new proxy on each access: take the one once.
  const calls = useMemo(() => client.session, [client]);

  const check = useCallback(async () => {
    try {
      const session = await calls.current.query();
      signedIn.current = true;
      setGate({ state: "signed-in", session });
    } catch (error) {
      signedIn.current = false;
      // A cookie that no longer opens a session (a reload after it ended) says so; no cookie
      // at all is a plain first visit.
      const ended = callError(error).details["reason"] === "session-ended";
      setGate({ state: "signed-out", ended, error: isUnauthorized(error) ? null : error });
    }
  }, [calls]);

  useEffect(() => {
    void check();
  }, [check]);

  const signOut = useCallback(
    async (everywhere = false) => {
      signedIn.current = false;
      try {
        await (everywhere ? calls.closeAll.mutate() : calls.close.mutate());
      } finally {
        queryClient.clear();
        setGate({ state: "signed-out", ended: false });
      }
    },
    [calls, queryClient],
  );

  const session: SessionState | null = useMemo(
    () => (gate.state === "signed-in" ? { ...gate.session, signOut } : null),
    [gate, signOut],
  );

  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={client} queryClient={queryClient}>
        {gate.state === "checking" && <Loading />}
        {gate.state === "signed-out" && (
          <SignInPage ended={gate.ended} error={gate.error} onSignedIn={() => void check()} />
        )}
        {session !== null && (
          <SessionContext.Provider value={session}>
            <Layout />
          </SessionContext.Provider>
        )}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
