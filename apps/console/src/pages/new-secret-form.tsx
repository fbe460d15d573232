/** The "New secret" form of the secrets page. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useLocation } from "wouter";
import { useSession } from "../session.js";
import { useTRPC, useTRPCClient } from "../trpc.js";
import { Button } from "../ui/button.js";
import { ErrorNotice } from "../ui/error-notice.js";
import { Field } from "../ui/field.js";
import { useCall } from "../ui/use-call.js";
import { ValueField } from "../ui/value-field.js";

/** SECRET_NAME_SOURCE of core (copied: the console imports no runtime code from core). */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/**
 * Where the signed-in user may create a secret: its own name, the teams it administers, and
 * every team for an org admin (core's decide: team members only read their team's secrets).
 */
function useOwnerChoices(): string[] {
  const session = useSession();
  const trpc = useTRPC();
  const whoami = useQuery(trpc.user.whoami.queryOptions());
  const allTeams = useQuery({
    ...trpc.team.list.queryOptions(),
    enabled: session.orgRole === "admin",
  });
  const teams =
    session.orgRole === "admin"
      ? (allTeams.data ?? []).map((t) => t.name)
      : (whoami.data?.teams ?? []).filter((t) => t.role === "admin").map((t) => t.team);
  return [session.user, ...teams.filter((t) => t !== session.user)];
}

/**
 * Owner, name, description and a write-only value (ValueField, with Generate). The value and
 * the create that sends it go through the vanilla client and live only in this form's state (the rules in
 * trpc.ts); the value is forgotten on success (which opens the new secret's page) and when the form
 * closes.
 */
export function NewSecretForm(props: { onClose: () => void; defaultOwner?: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const owners = useOwnerChoices();
  const [owner, setOwner] = useState(props.defaultOwner ?? "");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [value, setValue] = useState("");
  const creating = useCall();
  const firstField = useRef<HTMLSelectElement>(null);

  useEffect(() => firstField.current?.focus(), []);
  const chosenOwner = owners.includes(owner) ? owner : (owners[0] ?? "");
  const nameError =
    name !== "" && !SECRET_NAME.test(name)
      ? "Letters, digits, _ and -, starting with a letter or _ (at most 128)."
      : null;

  async function create() {
    const created = await creating.run(() =>
      client.secret.create.mutate({
        secret: `${chosenOwner}/${name}`,
        value,
        ...(description.trim() === "" ? {} : { description: description.trim() }),
      }),
    );
    if (created === undefined) return;
    setValue("");
    await queryClient.invalidateQueries({ queryKey: trpc.secret.list.pathKey() });
    props.onClose();
    // The contract (SPEC §13): a created secret is shown on its own page.
    navigate(`/secrets/${encodeURIComponent(chosenOwner)}/${encodeURIComponent(name)}`);
  }

  return (
    <form
      className="panel"
      aria-labelledby="new-secret-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (!creating.pending && nameError === null && name !== "" && value !== "") void create();
      }}
    >
      <h2 id="new-secret-title">New secret</h2>
      <div className="form-row">
        <Field label="Owner" hint="You, or a team you administer.">
          {(control) => (
            <select
              {...control}
              ref={firstField}
              value={chosenOwner}
              onChange={(e) => setOwner(e.target.value)}
            >
              {owners.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Name" error={nameError}>
          {(control) => (
            <input
              {...control}
              required
              maxLength={128}
              autoComplete="off"
              spellCheck={false}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
      </div>
      <Field label="Description" hint="Optional: what it is for, who to ask.">
        {(control) => (
          <input
            {...control}
            maxLength={1024}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        )}
      </Field>
      <ValueField label="Value" required value={value} onChange={setValue} />
      <ErrorNotice error={creating.error} action="create this secret" />
      <div className="form-actions">
        <span className="spacer" />
        <Button
          onClick={() => {
            setValue("");
            props.onClose();
          }}
        >
          Cancel
        </Button>
        <Button
          type="submit"
          kind="primary"
          disabled={creating.pending || name === "" || nameError !== null || value === ""}
        >
          Create
        </Button>
      </div>
    </form>
  );
}
