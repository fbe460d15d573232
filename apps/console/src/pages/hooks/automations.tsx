/** Automations (SPEC §12): event types + a secret pattern → a hook of the same owner. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { AutomationView, HookEventType } from "@coffer/core";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { useCursorPages } from "../../ui/pagination.js";
import type { Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { useOrg } from "../rotation/owned.js";
import { nameError, NameField, OwnerField } from "../../ui/owned-fields.js";
import { useOwnerChoices } from "../../ui/use-owner-choices.js";
import { DeleteDialog } from "../../ui/delete-dialog.js";
import { FormButtons } from "../../ui/form-buttons.js";
import { PagedTable } from "../../ui/paged-table.js";
import { Section } from "../../ui/section.js";
import { SelectField } from "../../ui/select-field.js";
import { TextField } from "../../ui/text-field.js";
import { eventText, eventTypes } from "./templates.js";

function NewAutomationForm(props: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const owners = useOwnerChoices();
  const org = useOrg();
  const [owner, setOwner] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [on, setOn] = useState<HookEventType[]>([]);
  const [match, setMatch] = useState<string | null>(null);
  const [hook, setHook] = useState("");
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);
  const chosenOwner = owners.includes(owner) ? owner : (owners[0] ?? "");
  // Only a hook of the automation's owner may be sent (the server says so too).
  const hooks = useQuery({
    ...trpc.hook.list.queryOptions({ owner: chosenOwner, limit: 500 }),
    enabled: chosenOwner !== "",
  });
  const hookRefs = (hooks.data?.items ?? []).map((h) => h.ref);
  const chosenHook = hookRefs.includes(hook) ? hook : (hookRefs[0] ?? "");
  // Until edited, the pattern follows the owner: all of its secrets.
  const pattern = match ?? (org === undefined ? "" : `secret://${org}/${chosenOwner}/*`);
  const create = useMutation(
    trpc.automation.create.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.automation.list.pathKey() });
        props.onClose();
      },
    }),
  );
  const valid =
    name !== "" &&
    nameError(name) === null &&
    on.length > 0 &&
    pattern.trim() !== "" &&
    chosenHook !== "";

  return (
    <form
      className="panel"
      aria-labelledby="new-automation-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (!valid || create.isPending) return;
        create.mutate({
          owner: chosenOwner,
          name,
          ...(description.trim() === "" ? {} : { description: description.trim() }),
          on,
          match: pattern.trim(),
          hook: chosenHook,
        });
      }}
    >
      <h2 id="new-automation-title">New automation</h2>
      <div className="form-row">
        <OwnerField owners={owners} value={chosenOwner} onChange={setOwner} />
        <NameField label="Automation name" value={name} onChange={setName} />
      </div>
      <TextField
        label="Description"
        hint="Optional."
        maxLength={1024}
        value={description}
        onChange={setDescription}
      />
      <fieldset className="checks">
        <legend>Events</legend>
        {eventTypes.map((t) => (
          <label key={t} title={eventText[t]}>
            <input
              type="checkbox"
              checked={on.includes(t)}
              onChange={(e) =>
                setOn((all) => (e.target.checked ? [...all, t] : all.filter((x) => x !== t)))
              }
            />
            {t}
          </label>
        ))}
      </fieldset>
      <div className="form-row">
        <SelectField
          label="Hook to send"
          hint={
            hookRefs.length === 0 && !hooks.isPending
              ? `${chosenOwner} has no hook yet: create one above first.`
              : "A hook of the same owner."
          }
          value={chosenHook}
          onChange={setHook}
          options={hookRefs}
          selectRef={first}
        />
        <TextField
          label="Match"
          hint="* (every event the owner may see), secret://ORG/OWNER/* or secret://ORG/OWNER/NAME. Only secret and rotation events match a pattern."
          required
          maxLength={300}
          value={pattern}
          onChange={setMatch}
        />
      </div>
      <ErrorNotice error={hooks.error} action="list the owner's hooks" />
      <ErrorNotice error={create.error} action="create this automation" />
      <FormButtons
        submit="Create automation"
        disabled={!valid || create.isPending}
        onCancel={props.onClose}
      />
    </form>
  );
}

export function AutomationsSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<AutomationView | null>(null);
  const pages = useCursorPages("automations");
  const list = useQuery({
    ...trpc.automation.list.queryOptions(
      pages.cursor === undefined ? {} : { cursor: pages.cursor },
    ),
    placeholderData: keepPreviousData,
  });
  const remove = useMutation(
    trpc.automation.delete.mutationOptions({
      onSuccess: async () => {
        setDeleting(null);
        await queryClient.invalidateQueries({ queryKey: trpc.automation.list.pathKey() });
      },
    }),
  );
  const columns: Column<AutomationView>[] = [
    { header: "Name", cell: (a) => a.ref },
    { header: "Events", cell: (a) => <div className="cell-wrap">{a.on.join(", ")}</div> },
    { header: "Match", cell: (a) => <code>{a.match}</code> },
    { header: "Hook", cell: (a) => a.hook },
    { header: "Created", cell: (a) => <Time iso={a.createdAt} />, optional: true },
    {
      header: "Actions",
      cell: (a) => (
        <Button
          kind="danger"
          onClick={() => {
            remove.reset();
            setDeleting(a);
          }}
        >
          Delete
        </Button>
      ),
    },
  ];
  return (
    <Section
      id="automations"
      title="Automations"
      actions={
        <Button kind="primary" aria-expanded={creating} onClick={() => setCreating(true)}>
          New automation
        </Button>
      }
    >
      <p className="muted">
        An automation sends a hook when events of its types happen to the secrets its pattern
        covers, and only those its owner may see.
      </p>
      {creating && <NewAutomationForm onClose={() => setCreating(false)} />}
      <ErrorNotice error={list.error} action="list automations" />
      <PagedTable
        label="Automations"
        what="automations"
        columns={columns}
        query={list}
        rowKey={(a) => a.ref}
        pages={pages}
        empty={
          <p>
            No automations yet. With a hook made, <strong>New automation</strong> sends it on the
            events you pick.
          </p>
        }
      />
      <DeleteDialog
        kind="automation"
        thing={deleting}
        call={remove}
        onCancel={() => setDeleting(null)}
        onConfirm={(ref) => remove.mutate({ automation: ref })}
      >
        <p>Its hook stays; events stop sending it through this automation.</p>
      </DeleteDialog>
    </Section>
  );
}
