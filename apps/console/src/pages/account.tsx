/**
 * Who is signed in (session.current and user.whoami): user, role, teams, the signing-in
 * token's scopes and the session's end; sign out here, or everywhere (every session of the
 * user). Both go back to sign-in (app.tsx's signOut).
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useSession } from "../session.js";
import { useTRPC } from "../trpc.js";
import { Button } from "../ui/button.js";
import { ErrorNotice } from "../ui/error-notice.js";
import { Facts } from "../ui/facts.js";
import { Loading } from "../ui/loading.js";
import { Page } from "../ui/page.js";
import { Time } from "../ui/time.js";

export function AccountPage() {
  const session = useSession();
  const trpc = useTRPC();
  const current = useQuery(trpc.session.current.queryOptions());
  const whoami = useQuery(trpc.user.whoami.queryOptions());
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const s = current.data ?? session;

  function signOut(everywhere: boolean) {
    setPending(true);
    setError(null);
    // On success this page goes away (the gate shows sign-in); a failure stays to be read.
    session.signOut(everywhere).catch((e: unknown) => {
      setError(e);
      setPending(false);
    });
  }

  return (
    <Page title="Account">
      <ErrorNotice error={current.error ?? whoami.error} action="read your account" />
      <Facts
        label="Who you are"
        items={[
          ["User", s.user],
          ["Org", whoami.data?.org ?? "…"],
          ["Role", s.orgRole === "admin" ? "Org admin" : "Member"],
          [
            "Teams",
            s.teams.length === 0
              ? "None"
              : s.teams
                  .map((t) => `${t.team} (${t.role === "admin" ? "team admin" : "member"})`)
                  .join(", "),
          ],
          ["Signed in with", whoami.data === undefined ? "…" : <code>{whoami.data.tokenId}</code>],
          [
            "Token scopes",
            whoami.isPending ? (
              <Loading what="scopes" />
            ) : (
              <ul className="plain">
                {(whoami.data?.scopes ?? []).map((sc) => (
                  <li key={`${sc.resource} ${sc.level}`}>
                    {sc.resource === "*" ? "Everything you hold" : <code>{sc.resource}</code>}:{" "}
                    {sc.level}
                  </li>
                ))}
              </ul>
            ),
          ],
          [
            "Session ends",
            <>
              <Time iso={s.expiresAt} />, or after {Math.round(s.idleTimeoutSeconds / 60)} minutes
              without use
            </>,
          ],
        ]}
      />
      <ErrorNotice error={error} action="sign out" />
      <div className="form-actions">
        <Button disabled={pending} onClick={() => signOut(false)}>
          Sign out
        </Button>
        <Button kind="danger" disabled={pending} onClick={() => signOut(true)}>
          Sign out everywhere
        </Button>
      </div>
      <p className="hint">
        Sign out everywhere ends every console session of {s.user}, on every browser. Tokens stay
        valid: disable them under Tokens.
      </p>
    </Page>
  );
}
