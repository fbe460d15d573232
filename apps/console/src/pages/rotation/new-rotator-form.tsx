/** The "New rotator" form: random, postgres or webhook, with each kind's settings (SPEC §11). */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { CreateRotatorInput, RotatorKind, WebhookRotatorMode } from "@coffer/core";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "../../trpc.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { HTTP_URL, HTTP_URL_HINT } from "./owned.js";
import { nameError, NameField, OwnerField } from "../../ui/owned-fields.js";
import { useOwnerChoices } from "../../ui/use-owner-choices.js";
import { FormButtons } from "../../ui/form-buttons.js";
import { SelectField } from "../../ui/select-field.js";
import { TextField } from "../../ui/text-field.js";

/** core's pgIdentifierSchema (copied, as OWNED_NAME is). */
const PG_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;
const PG_HINT = "Letters, digits, _, $ and -, starting with a letter or _.";
const pgError = (s: string) => (s !== "" && !PG_IDENTIFIER.test(s.trim()) ? PG_HINT : null);

const kinds = [
  ["random", "Random: Coffer makes the new value"],
  ["postgres", "PostgreSQL: a role's password"],
  ["webhook", "Webhook: your code sets it"],
] as const;
const modes = [
  ["driver", "Driver: Coffer calls for each step"],
  ["callback", "Callback: your code drives the job"],
] as const;

interface RotatorFields {
  owner: string;
  name: string;
  description: string;
  kind: RotatorKind;
  adminSecret: string;
  role: string;
  database: string;
  url: string;
  signingSecret: string;
  mode: WebhookRotatorMode;
}

/** The request, with only the fields its kind takes (the schema refuses any other). */
export function rotatorInput(f: RotatorFields): CreateRotatorInput {
  const input: CreateRotatorInput = { owner: f.owner, name: f.name, kind: f.kind };
  if (f.description.trim() !== "") input.description = f.description.trim();
  if (f.kind === "postgres") {
    input.postgres = { adminSecret: f.adminSecret.trim(), role: f.role.trim() };
    if (f.database.trim() !== "") input.postgres.database = f.database.trim();
  }
  if (f.kind === "webhook") {
    input.webhook = { url: f.url.trim(), mode: f.mode };
    if (f.signingSecret.trim() !== "") input.webhook.signingSecret = f.signingSecret.trim();
  }
  return input;
}

export function NewRotatorForm(props: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const owners = useOwnerChoices();
  const [f, setF] = useState<RotatorFields>({
    owner: "",
    name: "",
    description: "",
    kind: "random",
    adminSecret: "",
    role: "",
    database: "",
    url: "",
    signingSecret: "",
    mode: "driver",
  });
  const set =
    <K extends keyof RotatorFields>(key: K) =>
    (value: RotatorFields[K]) =>
      setF((x) => ({ ...x, [key]: value }));
  const nameInput = useRef<HTMLInputElement>(null);
  useEffect(() => nameInput.current?.focus(), []);
  const create = useMutation(
    trpc.rotator.create.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.rotator.list.pathKey() });
        props.onClose();
      },
    }),
  );

  const owner = owners.includes(f.owner) ? f.owner : (owners[0] ?? "");
  const urlError = f.url !== "" && !HTTP_URL.test(f.url.trim()) ? HTTP_URL_HINT : null;
  const complete =
    f.name !== "" &&
    nameError(f.name) === null &&
    (f.kind !== "postgres" ||
      (f.adminSecret.trim() !== "" &&
        f.role !== "" &&
        pgError(f.role) === null &&
        pgError(f.database) === null)) &&
    (f.kind !== "webhook" || (f.url !== "" && urlError === null));

  return (
    <form
      className="panel"
      aria-labelledby="new-rotator-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (complete && !create.isPending) create.mutate(rotatorInput({ ...f, owner }));
      }}
    >
      <h2 id="new-rotator-title">New rotator</h2>
      <div className="form-row">
        <OwnerField owners={owners} value={owner} onChange={set("owner")} />
        <NameField
          label="Rotator name"
          value={f.name}
          onChange={set("name")}
          inputRef={nameInput}
        />
      </div>
      <TextField
        label="Description"
        hint="Optional: what it rotates, who to ask."
        maxLength={1024}
        value={f.description}
        onChange={set("description")}
      />
      <SelectField label="Kind" value={f.kind} onChange={set("kind")} options={kinds} />
      {f.kind === "postgres" && (
        <>
          <TextField
            label="Admin connection secret"
            hint="A secret holding postgres://USER:PASSWORD@HOST:PORT/DB for a role that may change the password (NAME or OWNER/NAME)."
            required
            maxLength={300}
            value={f.adminSecret}
            onChange={set("adminSecret")}
          />
          <div className="form-row">
            <TextField
              label="Role"
              hint="The role whose password rotates."
              error={pgError(f.role)}
              required
              maxLength={63}
              value={f.role}
              onChange={set("role")}
            />
            <TextField
              label="Database"
              hint="Optional: where the test logs in (default: the admin connection's)."
              error={pgError(f.database)}
              maxLength={63}
              value={f.database}
              onChange={set("database")}
            />
          </div>
        </>
      )}
      {f.kind === "webhook" && (
        <>
          <TextField
            label="URL"
            hint="Coffer POSTs each step here, signed (Standard Webhooks); the body never holds a value."
            error={urlError}
            required
            maxLength={2048}
            value={f.url}
            onChange={set("url")}
          />
          <div className="form-row">
            <SelectField label="Mode" value={f.mode} onChange={set("mode")} options={modes} />
            <TextField
              label="Signing secret"
              hint="Optional: a secret holding the whsec_ key. Left empty, Coffer makes one in a secret of the owner's."
              maxLength={300}
              value={f.signingSecret}
              onChange={set("signingSecret")}
            />
          </div>
        </>
      )}
      <ErrorNotice error={create.error} action="create this rotator" />
      <FormButtons
        submit="Create rotator"
        disabled={!complete || create.isPending}
        onCancel={props.onClose}
      />
    </form>
  );
}
