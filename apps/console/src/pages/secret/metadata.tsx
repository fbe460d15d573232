/** The secret's metadata (secret.describe) as a `<dl>`, its description edited in place. */
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Field } from "../../ui/field.js";
import { Time } from "../../ui/time.js";
import { useRefreshSecret } from "./refresh.js";
import { Section } from "./section.js";
import { statusText } from "./status.js";
import type { Level, SecretPart } from "./types.js";

const levelText: Record<Level, string> = {
  list: "list (see its details)",
  read: "read (reveal its value)",
  write: "write (new versions, enable and disable)",
  manage: "manage (share and delete)",
};

export function MetadataPanel(props: SecretPart) {
  const { meta } = props;
  return (
    <Section title="Details">
      <dl className="meta">
        <dt>Owner</dt>
        <dd>
          {meta.owner} <span className="muted">({meta.ownerKind})</span>
        </dd>
        <dt>Status</dt>
        <dd>
          <span className={`status status-${meta.status}`}>{statusText[meta.status]}</span>
        </dd>
        {meta.status === "pending_deletion" && (
          <>
            <dt>Deletion date</dt>
            <dd>
              <Time iso={meta.deletionDate} />
            </dd>
          </>
        )}
        <dt>Current version</dt>
        <dd>{meta.currentVersion}</dd>
        <dt>Protection key</dt>
        <dd>
          <code>{meta.protectionKeyId}</code>
        </dd>
        <dt>Created</dt>
        <dd>
          <Time iso={meta.createdAt} />, by {meta.createdBy}
        </dd>
        <dt>Updated</dt>
        <dd>
          <Time iso={meta.updatedAt} />, by {meta.updatedBy}
        </dd>
        <dt>Reference</dt>
        <dd>
          <code>{meta.uri}</code>
        </dd>
        <dt>Your access</dt>
        <dd>{levelText[meta.access]}</dd>
        <dt>Description</dt>
        <dd>
          <Description {...props} />
        </dd>
      </dl>
    </Section>
  );
}

function Description({ secret, meta, may }: SecretPart) {
  const trpc = useTRPC();
  const refresh = useRefreshSecret();
  const [editing, setEditing] = useState<string | null>(null);
  const save = useMutation({
    ...trpc.secret.setDescription.mutationOptions(),
    onSuccess: async () => {
      await refresh();
      setEditing(null);
    },
  });

  if (editing === null) {
    return (
      <div className="description">
        {meta.description === "" ? (
          <span className="muted">No description.</span>
        ) : (
          <span className="description-text">{meta.description}</span>
        )}
        {may("write") && (
          <Button
            className="button-small"
            onClick={() => {
              save.reset();
              setEditing(meta.description);
            }}
          >
            Edit description
          </Button>
        )}
      </div>
    );
  }
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (!save.isPending) save.mutate({ secret, description: editing.trim() });
      }}
    >
      <Field label="Description" hint="What it is for, who to ask. Never a value.">
        {(control) => (
          <input
            {...control}
            // The person asked to edit: the field they opened takes the focus.
            autoFocus
            maxLength={1024}
            value={editing}
            onChange={(e) => setEditing(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Escape") setEditing(null);
            }}
          />
        )}
      </Field>
      <ErrorNotice error={save.error} action="change the description" />
      <div className="form-actions">
        <Button type="submit" kind="primary" disabled={save.isPending}>
          Save description
        </Button>
        <Button onClick={() => setEditing(null)}>Cancel</Button>
      </div>
    </form>
  );
}
