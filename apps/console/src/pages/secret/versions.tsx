/** The versions table (secret.versions) and Roll back (secret.rollback: previous → current). */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Loading } from "../../ui/loading.js";
import { Table, type Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { useRefreshSecret } from "./refresh.js";
import { Section } from "./section.js";
import type { SecretPart, VersionInfo } from "./types.js";

const columns: Column<VersionInfo>[] = [
  { header: "Version", cell: (v) => v.version },
  {
    header: "Stages",
    cell: (v) =>
      v.stages.length === 0 ? (
        <span className="muted">—</span>
      ) : (
        v.stages.map((s) => (
          <span key={s} className={`stage stage-${s}`}>
            {s}
          </span>
        ))
      ),
  },
  { header: "Created by", cell: (v) => v.createdBy, optional: true },
  { header: "Created", cell: (v) => <Time iso={v.createdAt} /> },
];

export function VersionsPanel({ secret, meta, may }: SecretPart) {
  const trpc = useTRPC();
  const refresh = useRefreshSecret();
  const versions = useQuery(trpc.secret.versions.queryOptions({ secret }));
  const rollback = useMutation({
    ...trpc.secret.rollback.mutationOptions(),
    onSuccess: () => refresh(),
  });
  const previous = meta.previousVersion;

  return (
    <Section title="Versions" wide>
      {previous !== null && meta.status !== "pending_deletion" && may("write") && (
        <div className="form-actions secret-rollback">
          <Button disabled={rollback.isPending} onClick={() => rollback.mutate({ secret })}>
            Roll back
          </Button>
          <span className="hint">
            Makes version {previous} current again; version {meta.currentVersion} becomes previous.
          </span>
        </div>
      )}
      <ErrorNotice error={rollback.error} action="roll back" />
      <ErrorNotice error={versions.error} action="list the versions" />
      {versions.isPending ? (
        <Loading what="versions" />
      ) : (
        <Table
          label="Versions"
          columns={columns}
          rows={versions.data ?? []}
          rowKey={(v) => String(v.version)}
          empty={<p>No versions to show.</p>}
        />
      )}
      <p className="hint">
        Coffer keeps a secret’s last versions (10 unless configured otherwise); older ones go.
      </p>
    </Section>
  );
}
