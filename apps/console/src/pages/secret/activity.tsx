/** The secret's activity: the audit events of its resource (audit.list filtered by secret). */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { PagedTable } from "../../ui/paged-table.js";
import { useCursorPages } from "../../ui/pagination.js";
import type { Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { Section } from "./section.js";
import type { SecretPart } from "./types.js";

const PAGE_SIZE = 25;

interface AuditRow {
  id: number;
  at: string;
  actor: string | null;
  action: string;
  result: string;
  details: Record<string, unknown>;
}

/** `version: 3, subject: ml` — details never hold a value (the server writes none there). */
function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
}

const columns: Column<AuditRow>[] = [
  { header: "When", cell: (e) => <Time iso={e.at} /> },
  { header: "Who", cell: (e) => e.actor ?? <span className="muted">—</span> },
  { header: "Action", cell: (e) => <code>{e.action}</code> },
  {
    header: "Result",
    cell: (e) => <span className={`result result-${e.result}`}>{e.result}</span>,
  },
  { header: "Details", cell: (e) => detailsText(e.details), optional: true },
];

export function ActivityPanel({ secret, may }: SecretPart) {
  const trpc = useTRPC();
  const pages = useCursorPages(secret);
  const events = useQuery({
    ...trpc.audit.list.queryOptions({
      secret,
      limit: PAGE_SIZE,
      ...(pages.cursor === undefined ? {} : { cursor: pages.cursor }),
    }),
    enabled: may("read"),
    placeholderData: keepPreviousData,
  });
  return (
    <Section title="Activity" wide>
      {!may("read") ? (
        <p className="muted">Its activity is shown to those who may read it.</p>
      ) : events.isError ? (
        <ErrorNotice error={events.error} action="show its activity" />
      ) : (
        <PagedTable
          label="Activity"
          what="activity"
          columns={columns}
          query={events}
          rowKey={(e) => String(e.id)}
          pages={pages}
          empty={<p>No activity recorded for it yet.</p>}
        />
      )}
    </Section>
  );
}
