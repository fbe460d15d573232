/**
 * A hook, new or changed (SPEC §12): URL, headers and body as templates that name secrets by
 * `${OWNER/NAME}` (never a value), the secrets it may use, its signing secret.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { HookView } from "@coffer/core";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "../../trpc.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Field } from "../../ui/field.js";
import { HTTP_URL, HTTP_URL_HINT } from "../rotation/owned.js";
import { nameError, NameField, OwnerField } from "../../ui/owned-fields.js";
import { useOwnerChoices } from "../../ui/use-owner-choices.js";
import { FormButtons } from "../../ui/form-buttons.js";
import { TextField } from "../../ui/text-field.js";
import {
  createInput,
  formFields,
  originOf,
  parseHeaders,
  updateInput,
  type HookFormFields,
} from "./templates.js";

const hints = {
  url: "Scheme, host and port are used as written; the path and query may hold event variables (${event.type}), never a secret.",
  headers:
    "One per line, Name: value. A value may name a secret: Authorization: Bearer ${OWNER/NAME}.",
  body: 'Optional JSON, templates inside strings only: {"text": "${event.type} on ${secret.uri}"}. Empty: Coffer sends the event itself.',
  allow:
    "The secrets the templates may use, one per line: OWNER/NAME or OWNER/*. Each secret the templates name must be covered.",
  signing:
    "A secret holding the Standard Webhooks key (whsec_…). Left empty on a new hook, Coffer makes one in a secret of the owner's.",
};

export function HookForm(props: { hook?: HookView; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const owners = useOwnerChoices();
  const editing = props.hook;
  const [owner, setOwner] = useState("");
  const [name, setName] = useState("");
  const [f, setF] = useState<HookFormFields>(() => formFields(editing));
  const [cleared, setCleared] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.hook.pathKey() });
    props.onClose();
  };
  const create = useMutation(trpc.hook.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.hook.update.mutationOptions({ onSuccess }));
  const pending = create.isPending || update.isPending;

  const chosenOwner = owners.includes(owner) ? owner : (owners[0] ?? "");
  const parsed = parseHeaders(f.headers);
  const urlError = f.url !== "" && !HTTP_URL.test(f.url.trim()) ? HTTP_URL_HINT : null;
  const valid =
    (editing !== undefined || (name !== "" && nameError(name) === null)) &&
    f.url.trim() !== "" &&
    urlError === null &&
    parsed.error === null;
  const set = (key: keyof HookFormFields) => (value: string) =>
    setF((x) => ({ ...x, [key]: value }));

  function setUrl(url: string) {
    // A new host clears the allowed secrets (SPEC §12): the form shows it, so what is sent is
    // what the person lists again.
    if (editing !== undefined && !cleared && originOf(url) !== originOf(editing.url)) {
      setCleared(true);
      setF((x) => ({ ...x, url, allowSecrets: "" }));
    } else set("url")(url);
  }

  return (
    <form
      className="panel"
      aria-labelledby="hook-form-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (!valid || pending || parsed.headers === null) return;
        if (editing === undefined) create.mutate(createInput(chosenOwner, name, f, parsed.headers));
        else update.mutate(updateInput(editing, f, parsed.headers));
      }}
    >
      <h2 id="hook-form-title">
        {editing === undefined ? "New hook" : `Change hook ${editing.ref}`}
      </h2>
      {editing === undefined && (
        <div className="form-row">
          <OwnerField
            owners={owners}
            value={chosenOwner}
            onChange={setOwner}
            hint="Templates read secrets with the owner's rights."
          />
          <NameField label="Hook name" value={name} onChange={setName} inputRef={first} />
        </div>
      )}
      <TextField
        label="Description"
        hint="Optional: what it calls, who to ask."
        maxLength={1024}
        value={f.description}
        onChange={set("description")}
      />
      <TextField
        label="URL"
        hint={hints.url}
        error={urlError}
        required
        maxLength={2048}
        value={f.url}
        onChange={setUrl}
        {...(editing === undefined ? {} : { inputRef: first })}
      />
      <TemplateField
        label="Headers"
        hint={hints.headers}
        error={parsed.error}
        rows={3}
        value={f.headers}
        onChange={set("headers")}
      />
      <TemplateField
        label="Body"
        hint={hints.body}
        rows={4}
        value={f.body}
        onChange={set("body")}
      />
      <TemplateField
        label="Allowed secrets"
        hint={
          cleared
            ? "The host changed, which clears this list: list again the secrets this hook may send to the new host."
            : hints.allow
        }
        rows={2}
        value={f.allowSecrets}
        onChange={set("allowSecrets")}
      />
      <TextField
        label="Signing secret"
        hint={hints.signing}
        maxLength={300}
        value={f.signingSecret}
        onChange={set("signingSecret")}
      />
      <ErrorNotice error={create.error} action="create this hook" />
      <ErrorNotice error={update.error} action="change this hook" />
      <FormButtons
        submit={editing === undefined ? "Create hook" : "Save hook"}
        disabled={!valid || pending}
        onCancel={props.onClose}
      />
    </form>
  );
}

/** A multi-line template (headers, body, a list), in monospace. */
function TemplateField(props: {
  label: string;
  hint: string;
  error?: string | null;
  rows: number;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      {(control) => (
        <textarea
          {...control}
          className="value-input"
          rows={props.rows}
          autoComplete="off"
          spellCheck={false}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}
