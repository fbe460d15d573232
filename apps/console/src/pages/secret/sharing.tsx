/**
 * Sharing (grant.list / share / unshare), for those with manage on the secret (the only ones
 * grant.list answers about it): everyone's grants on this secret and on all of its owner's
 * secrets, and a form to share it.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Field } from "../../ui/field.js";
import { Loading } from "../../ui/loading.js";
import { Table, type Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { useRefreshSecret } from "./refresh.js";
import { Section } from "./section.js";
import { LEVELS, type Level, type SecretPart } from "./types.js";

/** core's PRINCIPAL_NAME (copied: the console imports no runtime code from core). */
const PRINCIPAL_NAME = /^[a-z][a-z0-9-]{0,38}$/;

const levelHint: Record<Level, string> = {
  list: "list: see its details",
  read: "read: reveal its value",
  write: "write: new versions, enable, disable",
  manage: "manage: share and delete",
};

interface GrantRow {
  subject: string;
  resource: string;
  level: Level;
  createdAt: string;
  createdBy: string;
}

export function SharingPanel({ secret, meta, may }: SecretPart) {
  const trpc = useTRPC();
  const refresh = useRefreshSecret();
  const manages = may("manage");
  const grants = useQuery({
    ...trpc.grant.list.queryOptions({ secret }),
    enabled: manages,
  });
  const unshare = useMutation({ ...trpc.grant.unshare.mutationOptions(), onSuccess: refresh });

  const columns: Column<GrantRow>[] = [
    { header: "Subject", cell: (g) => g.subject },
    { header: "Level", cell: (g) => g.level },
    {
      header: "On",
      cell: (g) => (g.resource === meta.uri ? "This secret" : `All of ${meta.owner}’s secrets`),
      optional: true,
    },
    { header: "Given by", cell: (g) => g.createdBy, optional: true },
    { header: "Since", cell: (g) => <Time iso={g.createdAt} />, optional: true },
    {
      header: "Action",
      cell: (g) => (
        <Button
          className="button-small"
          disabled={unshare.isPending}
          onClick={() => unshare.mutate({ resource: g.resource, subject: g.subject })}
        >
          Remove
        </Button>
      ),
    },
  ];

  if (!manages) {
    return (
      <Section title="Sharing" wide>
        <p className="muted">
          Only those with manage access to this secret see who has access to it and share it; you
          have {meta.access} access.
        </p>
      </Section>
    );
  }
  return (
    <Section title="Sharing" wide>
      <ShareForm secret={secret} />
      <ErrorNotice error={unshare.error} action="remove this access" />
      <ErrorNotice error={grants.error} action="list who has access" />
      {grants.isPending ? (
        <Loading what="access" />
      ) : (
        <Table
          label="Access"
          columns={columns}
          rows={grants.data ?? []}
          rowKey={(g) => `${g.subject} ${g.resource}`}
          empty={<p>No one has a grant on it yet. Share it with a user or a team above.</p>}
        />
      )}
      <p className="hint">
        Every grant on this secret or on all of {meta.owner}’s secrets, whoever gave it. Owners hold
        their own access; team admins and org admins manage team secrets without a grant.
      </p>
    </Section>
  );
}

function ShareForm({ secret }: { secret: string }) {
  const trpc = useTRPC();
  const refresh = useRefreshSecret();
  const [subject, setSubject] = useState("");
  const [level, setLevel] = useState<Level>("read");
  const share = useMutation({
    ...trpc.grant.share.mutationOptions(),
    onSuccess: async () => {
      setSubject("");
      await refresh();
    },
  });
  const name = subject.trim();
  const subjectError =
    name !== "" && !PRINCIPAL_NAME.test(name)
      ? "A user or team name: lowercase letters, digits and -, starting with a letter."
      : null;

  return (
    <form
      className="share-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (name !== "" && subjectError === null && !share.isPending)
          share.mutate({ resource: secret, subject: name, level });
      }}
    >
      <div className="form-row">
        <Field label="Share with" hint="A user or team name." error={subjectError}>
          {(control) => (
            <input
              {...control}
              maxLength={39}
              autoComplete="off"
              spellCheck={false}
              autoCapitalize="off"
              value={subject}
              onChange={(e) => setSubject(e.target.value)}
            />
          )}
        </Field>
        <Field label="Level" hint="Each level includes the ones before it.">
          {(control) => (
            <select {...control} value={level} onChange={(e) => setLevel(e.target.value as Level)}>
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {levelHint[l]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorNotice error={share.error} action="share this secret" />
      <div className="form-actions">
        <Button
          type="submit"
          kind="primary"
          disabled={share.isPending || name === "" || subjectError !== null}
        >
          Share
        </Button>
      </div>
    </form>
  );
}
