/** The signed-in session (SPEC §13): who is signed in, and signing out. */
import { createContext, useContext } from "react";
import type { ConsoleClient } from "./trpc.js";

/** `session.current`'s answer: user, orgRole, teams, expiresAt, idleTimeoutSeconds. */
export type Session = Awaited<ReturnType<ConsoleClient["session"]["current"]["query"]>>;

export interface SessionState extends Session {
  /** Ends this session (`everywhere`: all of the user's sessions) and shows sign-in. */
  signOut(everywhere?: boolean): Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

/** The session of a signed-in page (every page but sign-in is one). */
export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (session === null) throw new Error("useSession outside the session gate");
  return session;
}
