import { useState } from "react";
import { useTRPCClient } from "../trpc.js";
import { Button } from "../ui/button.js";
import { ErrorNotice } from "../ui/error-notice.js";
import { Field } from "../ui/field.js";
import { useTitle } from "../ui/page.js";
import { useCall } from "../ui/use-call.js";

/** What session.open's refusals mean to the person signing in. */
const signInWords = {
  UNAUTHORIZED: "This token was not accepted: it may be mistyped, expired or revoked.",
  INVALID_REQUEST: "Sign in with a personal token (a user's), not an access key or a team token.",
  RATE_LIMITED: "Too many sign-in attempts; wait a minute and try again.",
};

/**
 * Sign-in: a pasted token opens a session (an HttpOnly cookie the page never sees). The token
 * lives only in the input's state and leaves only in session.open's POST body, through the
 * vanilla client (a useMutation would keep it in the mutation cache); the field is cleared
 * once it has been used.
 */
export function SignInPage(props: { ended: boolean; error?: unknown; onSignedIn: () => void }) {
  useTitle("Sign in");
  const client = useTRPCClient();
  const [token, setToken] = useState("");
  const { pending, error, run } = useCall();

  async function signIn() {
    const opened = await run(() => client.session.open.mutate({ token: token.trim() }));
    if (opened === undefined) return;
    setToken("");
    props.onSignedIn();
  }

  return (
    <main className="sign-in">
      <form
        className="sign-in-card"
        aria-labelledby="sign-in-title"
        onSubmit={(e) => {
          e.preventDefault();
          if (!pending && token.trim() !== "") void signIn();
        }}
      >
        <h1 id="sign-in-title">Sign in to Coffer</h1>
        {props.ended && (
          <p className="notice" role="status">
            Your session ended; sign in again.
          </p>
        )}
        <Field
          label="Token"
          hint="Paste a personal token (or the admin token printed at first start). It is not stored in the browser."
        >
          {(control) => (
            <input
              {...control}
              type="password"
              name="token"
              autoComplete="off"
              spellCheck={false}
              required
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          )}
        </Field>
        <ErrorNotice error={error ?? props.error} action="sign in" words={signInWords} />
        <Button type="submit" kind="primary" disabled={pending || token.trim() === ""}>
          Sign in
        </Button>
      </form>
    </main>
  );
}
