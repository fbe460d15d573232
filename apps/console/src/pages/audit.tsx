/**
 * The audit log (SPEC §7): newest first, filtered by action, actor, resource (a secret) and
 * start date, paged by cursor; org admins verify its hash chain. Org admins see every event,
 * others their own and those of secrets they may read (audit-service.ts).
 */
import type { AppRouter } from "@coffer/server";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { useTRPC } from "../trpc.js";
import { ErrorNotice } from "../ui/error-notice.js";
import { Field } from "../ui/field.js";
import { PagedTable } from "../ui/paged-table.js";
import { Page } from "../ui/page.js";
import { useCursorPages } from "../ui/pagination.js";
import type { Column } from "../ui/table.js";
import { TextField } from "../ui/text-field.js";
import { Time } from "../ui/time.js";
import { useSettled } from "../ui/use-settled.js";
import { auditActions } from "./audit/audit-actions.js";
import { VerifyChain } from "./audit/verify-chain.js";

const PAGE_SIZE = 100;

/** An event as audit.list answers it (AuditEventView on the server). */
type AuditRow = inferRouterOutputs<AppRouter>["audit"]["list"]["items"][number];

const detailsText = (d: Record<string, unknown>) =>
  Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");

const columns: Column<AuditRow>[] = [
  { header: "Time", cell: (e) => <Time iso={e.at} /> },
  {
    header: "Actor",
    cell: (e) => <span title={e.tokenId ?? undefined}>{e.actor ?? "—"}</span>,
  },
  { header: "Action", cell: (e) => <code>{e.action}</code> },
  { header: "Resource", cell: (e) => <span className="cell-wrap">{e.resource ?? "—"}</span> },
  {
    header: "Result",
    cell: (e) => (
      <span className={e.result === "ok" ? "status" : "status status-failed"}>{e.result}</span>
    ),
  },
  { header: "Address", cell: (e) => e.ip ?? "", optional: true },
  {
    header: "Details",
    cell: (e) => <span className="cell-wrap">{detailsText(e.details)}</span>,
    optional: true,
  },
];

export function AuditPage() {
  const trpc = useTRPC();
  const [action, setAction] = useState("");
  const [actor, setActor] = useState("");
  const [resource, setResource] = useState("");
  const [since, setSince] = useState("");
  const typedAction = useSettled(action.trim(), 300);
  const typedActor = useSettled(actor.trim(), 300);
  const typedResource = useSettled(resource.trim(), 300);
  const filter = {
    ...(typedAction === "" ? {} : { action: typedAction }),
    ...(typedActor === "" ? {} : { actor: typedActor }),
    ...(typedResource === "" ? {} : { secret: typedResource }),
    // A date picks midnight UTC of that day (the API takes a date or a date-time).
    ...(since === "" ? {} : { since }),
  };
  const pages = useCursorPages(JSON.stringify(filter));
  const list = useQuery({
    ...trpc.audit.list.queryOptions({
      ...filter,
      ...(pages.cursor === undefined ? {} : { cursor: pages.cursor }),
      limit: PAGE_SIZE,
    }),
    placeholderData: keepPreviousData,
  });
  const filtered = Object.keys(filter).length > 0;

  return (
    <Page title="Audit log">
      <VerifyChain />
      <form className="toolbar" onSubmit={(e) => e.preventDefault()}>
        <TextField
          label="Action"
          placeholder="secret.reveal"
          maxLength={64}
          suggestions={auditActions}
          value={action}
          onChange={setAction}
        />
        <TextField
          label="Actor"
          placeholder="a user, team or identity"
          maxLength={64}
          value={actor}
          onChange={setActor}
        />
        <TextField
          label="Resource"
          placeholder="a secret: NAME or OWNER/NAME"
          maxLength={300}
          value={resource}
          onChange={setResource}
        />
        <Field label="Since">
          {(control) => (
            <input
              {...control}
              type="date"
              value={since}
              onChange={(e) => setSince(e.target.value)}
            />
          )}
        </Field>
      </form>
      <ErrorNotice error={list.error} action="read the audit log" />
      <PagedTable
        label="Audit log"
        what="the audit log"
        columns={columns}
        query={list}
        rowKey={(e) => String(e.id)}
        pages={pages}
        empty={
          <p>
            {filtered
              ? "No event matches these filters. Clear one, or pick an earlier date."
              : "No events yet. Every change and every reveal will be listed here."}
          </p>
        }
      />
    </Page>
  );
}
