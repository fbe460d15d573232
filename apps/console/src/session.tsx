/** The signed-in session (SPEC §13): who is signed in, and signing out. */
import { createContext, useContext } from "react";

export interface Session {
  user: string;
  orgRole: "admin" | "member";
  expiresAt: string;
  idleTimeoutSeconds: number;
}

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

/** The session procedures (`session.*` on the server), as the console calls them. */
export interface SessionCalls {
  open: { mutate(input: { token: string }): Promise<Omit<Session, "idleTimeoutSeconds">> };
  current: { query(): Promise<Session> };
  close: { mutate(): Promise<unknown> };
  closeAll: { mutate(): Promise<unknown> };
}
