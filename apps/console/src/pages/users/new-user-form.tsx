/**
 * "New user" (org admins): the answer carries the user's first token, so the call goes
 * through the vanilla client and the token is held here only, shown once until Done.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC, useTRPCClient } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Time } from "../../ui/time.js";
import { useCall } from "../../ui/use-call.js";
import { ShownOnce } from "../../ui/shown-once.js";
import { nameError, PrincipalNameField } from "./principal-name.js";

export function NewUserForm() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [admin, setAdmin] = useState(false);
  const [made, setMade] = useState<{ name: string; token: string; expiresAt: string } | null>(null);
  const creating = useCall();
  const invalid = nameError(name);

  async function create() {
    const r = await creating.run(() => client.user.create.mutate({ name, admin }));
    if (r === undefined) return;
    setMade({ name: r.name, token: r.token, expiresAt: r.tokenExpiresAt });
    setName("");
    setAdmin(false);
    await queryClient.invalidateQueries({ queryKey: trpc.user.list.pathKey() });
  }

  return (
    <>
      <form
        className="panel"
        onSubmit={(e) => {
          e.preventDefault();
          if (!creating.pending && name !== "" && invalid === null) void create();
        }}
      >
        <h3>New user</h3>
        <div className="inline-form">
          <PrincipalNameField label="User name" value={name} onChange={setName} />
          <label className="check">
            <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} />
            Admin
          </label>
          <Button
            type="submit"
            kind="primary"
            disabled={creating.pending || name === "" || invalid !== null}
          >
            Create user
          </Button>
        </div>
        <ErrorNotice error={creating.error} action="create this user" />
      </form>
      {made !== null && (
        <ShownOnce
          label="New token"
          title={`User “${made.name}” created`}
          value={made.token}
          copyText={made.token}
          onDone={() => setMade(null)}
        >
          <p>
            Hand this first token to {made.name} over a safe channel: it is how they sign in. It
            expires <Time iso={made.expiresAt} />.
          </p>
        </ShownOnce>
      )}
    </>
  );
}
