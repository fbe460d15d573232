/**
 * The list of tokens or of access keys (hints and metadata only, never a credential), with
 * each row's Disable, Enable (tokens: asks a new expiry) and Delete (typed confirmation).
 */
import { useState, type ReactNode } from "react";
import { Button } from "../../ui/button.js";
import { ConfirmDialog } from "../../ui/confirm-dialog.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Table, type Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { useCall } from "../../ui/use-call.js";
import { EnableDialog } from "./enable-dialog.js";

/** What token.list and accessKey.list share (TokenInfo, AccessKeyInfo on the server). */
export interface CredentialRow {
  id: string;
  name: string;
  /** A token's first characters; access keys are known by their id. */
  hint?: string;
  kind: "personal" | "shared" | "exchanged";
  ownerKind: "user" | "team" | "org";
  owner: string | null;
  scopes: readonly { resource: string; level: string }[];
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  disabledAt: string | null;
}

export interface CredentialActions {
  disable(id: string): Promise<unknown>;
  /** Tokens only: the server enables no access key (make a new one). */
  enable?: (id: string, expiresInSeconds: number) => Promise<unknown>;
  remove(id: string): Promise<unknown>;
}

type Status = "active" | "disabled" | "expired";
const statusText: Record<Status, string> = {
  active: "Active",
  disabled: "Disabled",
  expired: "Expired",
};

function statusOf(row: CredentialRow): Status {
  if (row.disabledAt !== null) return "disabled";
  return Date.parse(row.expiresAt) <= Date.now() ? "expired" : "active";
}

function whose(row: CredentialRow): string {
  if (row.kind === "exchanged") return `${row.owner ?? "org"} (OIDC exchange)`;
  if (row.ownerKind === "org") return "The org (shared)";
  if (row.ownerKind === "team") return `Team ${row.owner ?? ""} (shared)`;
  return row.owner ?? "";
}

/** "All" for the default (`*` at manage: whatever the owner holds), else each scope. */
const scopeText = (row: CredentialRow) =>
  row.scopes.length === 1 && row.scopes[0]?.resource === "*" && row.scopes[0].level === "manage"
    ? "All"
    : row.scopes
        .map((s) => `${s.resource === "*" ? "everything" : s.resource}: ${s.level}`)
        .join(", ");

export function CredentialTable(props: {
  label: string;
  what: "token" | "access key";
  rows: readonly CredentialRow[];
  actions: CredentialActions;
  empty: ReactNode;
  /** The token this session signed in with: deleting or disabling it signs out. */
  currentId?: string | undefined;
}) {
  const { actions, what } = props;
  const [enabling, setEnabling] = useState<CredentialRow | null>(null);
  const [deleting, setDeleting] = useState<CredentialRow | null>(null);
  const rowCall = useCall();
  const enableCall = useCall();
  const deleteCall = useCall();

  const columns: Column<CredentialRow>[] = [
    {
      header: "Name",
      cell: (r) => (
        <>
          {r.name}
          {r.id === props.currentId && <span className="muted"> (this session)</span>}
        </>
      ),
    },
    {
      header: what === "token" ? "Starts with" : "Access key id",
      cell: (r) => <code>{r.hint === undefined ? r.id : `${r.hint}…`}</code>,
      optional: true,
    },
    { header: "Owner", cell: whose, optional: true },
    {
      header: "Status",
      cell: (r) => {
        const s = statusOf(r);
        return <span className={`status status-${s}`}>{statusText[s]}</span>;
      },
    },
    { header: "Expires", cell: (r) => <Time iso={r.expiresAt} />, optional: true },
    { header: "Scopes", cell: scopeText, optional: true },
    {
      header: "Created",
      cell: (r) => (
        <span title={`by ${r.createdBy}`}>
          <Time iso={r.createdAt} />
        </span>
      ),
      optional: true,
    },
    {
      header: "Actions",
      cell: (r) => (
        <div className="row-actions">
          {r.disabledAt === null ? (
            <Button
              disabled={rowCall.pending}
              onClick={() => void rowCall.run(() => actions.disable(r.id))}
            >
              Disable
            </Button>
          ) : (
            actions.enable !== undefined &&
            r.kind !== "exchanged" && <Button onClick={() => setEnabling(r)}>Enable</Button>
          )}
          <Button kind="danger" onClick={() => setDeleting(r)}>
            Delete
          </Button>
        </div>
      ),
    },
  ];

  return (
    <>
      <ErrorNotice error={rowCall.error} action={`disable this ${what}`} />
      <Table
        label={props.label}
        columns={columns}
        rows={props.rows}
        rowKey={(r) => r.id}
        empty={props.empty}
      />
      {actions.enable !== undefined && (
        <EnableDialog
          open={enabling !== null}
          name={enabling?.name ?? ""}
          pending={enableCall.pending}
          error={enableCall.error}
          onCancel={() => setEnabling(null)}
          onEnable={(seconds) => {
            const row = enabling;
            const enable = actions.enable;
            if (row === null || enable === undefined) return;
            void enableCall
              .run(() => enable(row.id, seconds))
              .then((done) => {
                if (done !== undefined) setEnabling(null);
              });
          }}
        />
      )}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the ${what} “${deleting?.name ?? ""}”?`}
        name={deleting?.name ?? ""}
        actionLabel={`Delete ${what}`}
        pending={deleteCall.pending}
        error={deleteCall.error}
        onCancel={() => setDeleting(null)}
        onConfirm={() => {
          const row = deleting;
          if (row === null) return;
          void deleteCall
            .run(() => actions.remove(row.id))
            .then((done) => {
              if (done !== undefined) setDeleting(null);
            });
        }}
      >
        <p>
          Whatever uses it stops working at once. This cannot be undone: a new {what} would have to
          be made and handed out again.
        </p>
      </ConfirmDialog>
    </>
  );
}
