/** The "New secret" form of the secrets page. */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useLocation } from "wouter";
import { useTRPC, useTRPCClient } from "../trpc.js";
import { ErrorNotice } from "../ui/error-notice.js";
import { Field } from "../ui/field.js";
import { FormButtons } from "../ui/form-buttons.js";
import { nameError, NameField, OwnerField } from "../ui/owned-fields.js";
import { useCall } from "../ui/use-call.js";
import { useOwnerChoices } from "../ui/use-owner-choices.js";
import { ValueField } from "../ui/value-field.js";

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
  const invalid = nameError(name);

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
        if (!creating.pending && invalid === null && name !== "" && value !== "") void create();
      }}
    >
      <h2 id="new-secret-title">New secret</h2>
      <div className="form-row">
        <OwnerField
          owners={owners}
          value={chosenOwner}
          onChange={setOwner}
          selectRef={firstField}
        />
        <NameField label="Name" value={name} onChange={setName} />
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
      <FormButtons
        submit="Create"
        disabled={creating.pending || name === "" || invalid !== null || value === ""}
        onCancel={() => {
          setValue("");
          props.onClose();
        }}
      />
    </form>
  );
}
