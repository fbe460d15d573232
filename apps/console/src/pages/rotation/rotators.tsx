/** The rotators the signed-in user may see (SPEC §11): listed, created, deleted. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { RotatorView } from "@coffer/core";
import { useState } from "react";
import { Link } from "wouter";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { useCursorPages } from "../../ui/pagination.js";
import type { Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { secretPath } from "../secrets.js";
import { NewRotatorForm } from "./new-rotator-form.js";
import { DeleteDialog } from "../../ui/delete-dialog.js";
import { PagedTable } from "../../ui/paged-table.js";
import { Section } from "../../ui/section.js";

const kindText: Record<RotatorView["kind"], string> = {
  random: "Random",
  postgres: "PostgreSQL",
  webhook: "Webhook",
};

/** A link to a secret named `OWNER/NAME` (rotators and hooks name theirs so). */
export function SecretLink(props: { secret: string }) {
  const [owner, name] = props.secret.split("/");
  if (owner === undefined || name === undefined) return <code>{props.secret}</code>;
  return <Link href={secretPath(owner, name)}>{props.secret}</Link>;
}

/** Where a rotator puts the new value: settings only, secrets named (never a value). */
function Target(props: { rotator: RotatorView }) {
  const { postgres, webhook } = props.rotator;
  if (postgres !== null)
    return (
      <>
        role <code>{postgres.role}</code>
        {postgres.database !== undefined && (
          <>
            {" "}
            in <code>{postgres.database}</code>
          </>
        )}
        , admin connection in <SecretLink secret={postgres.adminSecret} />
      </>
    );
  if (webhook !== null)
    return (
      <>
        <code>{webhook.url}</code> ({webhook.mode} mode), signing key in{" "}
        {webhook.signingSecret !== undefined && <SecretLink secret={webhook.signingSecret} />}
      </>
    );
  return <span className="muted">The secret itself</span>;
}

export function RotatorsSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<RotatorView | null>(null);
  const pages = useCursorPages("rotators");
  const list = useQuery({
    ...trpc.rotator.list.queryOptions(pages.cursor === undefined ? {} : { cursor: pages.cursor }),
    placeholderData: keepPreviousData,
  });
  const remove = useMutation(
    trpc.rotator.delete.mutationOptions({
      onSuccess: async () => {
        setDeleting(null);
        await queryClient.invalidateQueries({ queryKey: trpc.rotator.list.pathKey() });
      },
    }),
  );

  const columns: Column<RotatorView>[] = [
    { header: "Name", cell: (r) => r.ref },
    { header: "Kind", cell: (r) => kindText[r.kind] },
    {
      header: "Target",
      cell: (r) => (
        <div className="cell-wrap">
          <Target rotator={r} />
        </div>
      ),
      optional: true,
    },
    { header: "Description", cell: (r) => r.description, optional: true },
    { header: "Created", cell: (r) => <Time iso={r.createdAt} />, optional: true },
    {
      header: "Actions",
      cell: (r) => (
        <Button
          kind="danger"
          onClick={() => {
            remove.reset();
            setDeleting(r);
          }}
        >
          Delete
        </Button>
      ),
    },
  ];

  return (
    <Section
      id="rotators"
      title="Rotators"
      actions={
        <Button kind="primary" aria-expanded={creating} onClick={() => setCreating(true)}>
          New rotator
        </Button>
      }
    >
      <p className="muted">
        A rotator says how a secret gets a new value and where that value goes.
      </p>
      {creating && <NewRotatorForm onClose={() => setCreating(false)} />}
      <ErrorNotice error={list.error} action="list rotators" />
      <PagedTable
        label="Rotators"
        what="rotators"
        columns={columns}
        query={list}
        rowKey={(r) => r.ref}
        pages={pages}
        empty={
          <p>
            No rotators yet. Create one with <strong>New rotator</strong> (a random one makes new
            values in Coffer), then give a secret a rotation policy below.
          </p>
        }
      />
      <DeleteDialog
        kind="rotator"
        thing={deleting}
        call={remove}
        onCancel={() => setDeleting(null)}
        onConfirm={(ref) => remove.mutate({ rotator: ref })}
      >
        <p>
          Coffer refuses to delete a rotator that a secret&apos;s rotation policy uses: give those
          secrets another rotator first. A webhook rotator&apos;s signing key stays, as a secret.
        </p>
      </DeleteDialog>
    </Section>
  );
}
