/** Where used (secret.whereUsed): the tokens and identities that read it in the last 30 days. */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Loading } from "../../ui/loading.js";
import { Table, type Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { Section } from "./section.js";
import type { SecretPart } from "./types.js";

interface Reader {
  actor: string | null;
  tokenId: string | null;
  reads: number;
  lastReadAt: string;
}

const dash = <span className="muted">—</span>;

const columns: Column<Reader>[] = [
  { header: "Who", cell: (r) => r.actor ?? dash },
  { header: "Token", cell: (r) => (r.tokenId === null ? dash : <code>{r.tokenId}</code>) },
  { header: "Reads", cell: (r) => r.reads, optional: true },
  { header: "Last read", cell: (r) => <Time iso={r.lastReadAt} /> },
];

export function WhereUsedPanel({ secret, may }: SecretPart) {
  const trpc = useTRPC();
  const readers = useQuery({
    ...trpc.secret.whereUsed.queryOptions({ secret }),
    enabled: may("read"),
  });
  return (
    <Section title="Where used" wide>
      {!may("read") ? (
        <p className="muted">Who reads it is shown to those who may read it.</p>
      ) : readers.isPending ? (
        <Loading what="readers" />
      ) : readers.isError ? (
        <ErrorNotice error={readers.error} action="see where it is used" />
      ) : (
        <>
          <Table
            label="Where used"
            columns={columns}
            rows={readers.data ?? []}
            rowKey={(r) => `${r.actor ?? ""} ${r.tokenId ?? ""}`}
            empty={
              <p>
                Nothing has read it in the last 30 days. Tokens, access keys and identities that
                read it show here.
              </p>
            }
          />
        </>
      )}
    </Section>
  );
}
