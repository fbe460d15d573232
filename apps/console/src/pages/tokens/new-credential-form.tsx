/**
 * Making a token or an access key: name, lifetime, (org admins) owner. The answer holds the
 * new credential, so the call goes through the vanilla client and the credential lives in
 * this component's state only, shown once until Done (trpc.ts's rules for values).
 */
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC, useTRPCClient } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Field } from "../../ui/field.js";
import { Time } from "../../ui/time.js";
import { useCall } from "../../ui/use-call.js";
import { DaysField, daysError, daysToSeconds } from "./days.js";
import { ME, OwnerChoice, sharedFor } from "./owner-choice.js";
import { ShownOnce } from "../../ui/shown-once.js";

export type CredentialKind = "token" | "access key";

const words = {
  token: { name: "Token name", create: "Create token", output: "New token" },
  "access key": { name: "Access key name", create: "Create access key", output: "New access key" },
} as const;

interface Made {
  name: string;
  /** An access key's id (a token's is only in the list). */
  id?: string;
  /** The token, or the access key's secret. */
  secret: string;
  expiresAt: string;
}

export function NewCredentialForm(props: { kind: CredentialKind }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const w = words[props.kind];
  const [name, setName] = useState("");
  const [days, setDays] = useState("30");
  const [owner, setOwner] = useState(ME);
  const [made, setMade] = useState<Made | null>(null);
  const creating = useCall();
  const lifetimeError = daysError(days);

  async function create() {
    const input = {
      name: name.trim(),
      expiresInSeconds: daysToSeconds(days),
      ...sharedFor(owner),
    };
    if (props.kind === "token") {
      const r = await creating.run(() => client.token.create.mutate(input));
      if (r === undefined) return;
      setMade({ name: input.name, secret: r.token, expiresAt: r.expiresAt });
      await queryClient.invalidateQueries({ queryKey: trpc.token.list.pathKey() });
    } else {
      const r = await creating.run(() => client.accessKey.create.mutate(input));
      if (r === undefined) return;
      setMade({ name: input.name, id: r.id, secret: r.secret, expiresAt: r.expiresAt });
      await queryClient.invalidateQueries({ queryKey: trpc.accessKey.list.pathKey() });
    }
    setName("");
  }

  return (
    <>
      <form
        className="panel inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!creating.pending && name.trim() !== "" && lifetimeError === null) void create();
        }}
      >
        <Field label={w.name} hint="What it is for: “ci deploy”, “laptop”.">
          {(control) => (
            <input
              {...control}
              required
              maxLength={100}
              autoComplete="off"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <DaysField label="Expires in (days)" value={days} onChange={setDays} />
        <OwnerChoice value={owner} onChange={setOwner} />
        <Button
          type="submit"
          kind="primary"
          disabled={creating.pending || name.trim() === "" || lifetimeError !== null}
        >
          {w.create}
        </Button>
      </form>
      <ErrorNotice error={creating.error} action={`create this ${props.kind}`} />
      {made !== null && (
        <ShownOnce
          label={w.output}
          title={`${props.kind === "token" ? "Token" : "Access key"} “${made.name}” created`}
          copyText={made.secret}
          value={
            made.id === undefined ? (
              made.secret
            ) : (
              <>
                <span className="shown-once-line">Access key id: {made.id}</span>
                {/* A line break in the text too, so that a copied selection keeps them apart. */}
                {"\n"}
                <span className="shown-once-line">Secret: {made.secret}</span>
              </>
            )
          }
          onDone={() => setMade(null)}
        >
          <p>
            Expires <Time iso={made.expiresAt} />.
            {made.id !== undefined &&
              " Copy puts the secret on the clipboard; the id stays listed."}
          </p>
        </ShownOnce>
      )}
    </>
  );
}
