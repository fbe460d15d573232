/**
 * The delivery log (SPEC §12): newest first, by hook and failed only, each delivery with its
 * request as its templates, the secret versions used and its attempts (response heads and the
 * first 4 KiB of body, rendered values already redacted by the server); redeliver.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { DeliveryAttemptView, DeliveryView } from "@coffer/core";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { useCursorPages } from "../../ui/pagination.js";
import { Table, type Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { Facts, listText } from "../../ui/facts.js";
import { PagedTable } from "../../ui/paged-table.js";
import { Section } from "../../ui/section.js";
import { SelectField } from "../../ui/select-field.js";
import { deliveryOutcome } from "./hooks-section.js";
import { headersText } from "./templates.js";

/** How often the log asks again while a delivery waits for its next attempt. */
const PENDING_POLL_MS = 5_000;

const attemptColumns: Column<DeliveryAttemptView>[] = [
  { header: "Attempt", cell: (a) => a.attempt },
  { header: "Started", cell: (a) => <Time iso={a.startedAt} /> },
  { header: "Duration", cell: (a) => `${a.durationMs} ms` },
  { header: "Status", cell: (a) => (a.status === null ? "No answer" : a.status) },
  {
    header: "Error",
    cell: (a) =>
      a.error === null ? (
        <span className="muted">—</span>
      ) : (
        <div className="cell-wrap">{a.error}</div>
      ),
  },
  {
    header: "Response",
    cell: (a) => (
      <div className="cell-wrap">
        {Object.keys(a.responseHeaders).length === 0 && a.responseBody === null ? (
          <span className="muted">—</span>
        ) : (
          <details>
            <summary>Headers and body</summary>
            <pre className="template">
              {headersText(a.responseHeaders)}
              {a.responseBody === null ? "" : `\n\n${a.responseBody}`}
            </pre>
          </details>
        )}
      </div>
    ),
  },
];

function DeliveryDetails(props: { delivery: DeliveryView; onClose: () => void }) {
  const d = props.delivery;
  return (
    <section className="panel" aria-labelledby="delivery-details-title">
      <h2 id="delivery-details-title">Delivery {d.id}</h2>
      <Facts
        label={`Delivery ${d.id}`}
        items={[
          ["Hook", d.hook],
          ["Event", `${d.event.type} (${d.event.id})`],
          ["Resource", d.event.resource ?? "—"],
          ["Outcome", deliveryOutcome(d)],
          ["Next attempt", <Time key="n" iso={d.nextAttemptAt} />],
          ["webhook-id", <code key="m">{d.messageId}</code>],
          ["Redelivers", d.redeliveryOf ?? "—"],
          ["Secrets used", listText(d.secretsUsed.map((s) => `${s.ref} v${s.version}`))],
        ]}
      />
      <h3>Request, as its templates</h3>
      <pre className="template">
        {`POST ${d.request.url}\n${headersText(d.request.headers)}`}
        {d.request.body === null ? "" : `\n\n${d.request.body}`}
      </pre>
      <Table
        label={`Attempts of ${d.id}`}
        columns={attemptColumns}
        rows={d.attempts}
        rowKey={(a) => String(a.attempt)}
        empty={<p>No attempt yet: a worker sends it shortly.</p>}
      />
      <div className="form-actions">
        <Button onClick={props.onClose}>Close</Button>
      </div>
    </section>
  );
}

export function DeliveriesSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [hook, setHook] = useState("");
  const [failed, setFailed] = useState(false);
  const [shown, setShown] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const hooks = useQuery(trpc.hook.list.queryOptions({ limit: 500 }));
  const pages = useCursorPages(JSON.stringify([hook, failed]));
  const list = useQuery({
    ...trpc.deliveries.list.queryOptions({
      ...(hook === "" ? {} : { hook }),
      ...(failed ? { failed } : {}),
      ...(pages.cursor === undefined ? {} : { cursor: pages.cursor }),
    }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) =>
      q.state.data?.items.some((d) => d.state === "pending") ? PENDING_POLL_MS : false,
  });
  const redeliver = useMutation(
    trpc.deliveries.redeliver.mutationOptions({
      onSuccess: async (d) => {
        setDone(`Delivery ${d.id} made: it sends the same event again, with the same webhook-id.`);
        await queryClient.invalidateQueries({ queryKey: trpc.deliveries.list.pathKey() });
      },
    }),
  );
  const items = list.data?.items ?? [];
  const shownDelivery = items.find((d) => d.id === shown);

  const columns: Column<DeliveryView>[] = [
    { header: "Created", cell: (d) => <Time iso={d.createdAt} /> },
    { header: "Event", cell: (d) => d.event.type },
    { header: "Hook", cell: (d) => d.hook },
    {
      header: "State",
      cell: (d) => <span className={`status status-${d.state}`}>{d.state}</span>,
    },
    {
      header: "Last answer",
      cell: (d) => {
        const last = d.attempts.at(-1);
        return last === undefined ? "—" : last.status === null ? "No answer" : last.status;
      },
      optional: true,
    },
    { header: "Attempts", cell: (d) => d.attempts.length, optional: true },
    {
      header: "Actions",
      cell: (d) => (
        <div className="row-actions">
          <Button
            aria-expanded={shown === d.id}
            onClick={() => setShown(shown === d.id ? null : d.id)}
          >
            Details
          </Button>
          <Button
            disabled={redeliver.isPending}
            onClick={() => {
              setDone(null);
              redeliver.mutate({ delivery: d.id });
            }}
          >
            Redeliver
          </Button>
        </div>
      ),
    },
  ];

  return (
    <Section
      id="deliveries"
      title="Deliveries"
      actions={
        <Button disabled={list.isFetching} onClick={() => void list.refetch()}>
          Refresh
        </Button>
      }
    >
      <div className="toolbar">
        <SelectField
          label="Hook"
          value={hook}
          onChange={setHook}
          options={[["", "All hooks"], ...(hooks.data?.items ?? []).map((h) => h.ref)]}
        />
        <label className="check">
          <input type="checkbox" checked={failed} onChange={(e) => setFailed(e.target.checked)} />
          Failed only
        </label>
      </div>
      {done !== null && (
        <p className="notice notice-ok" role="status">
          {done}
        </p>
      )}
      <ErrorNotice error={redeliver.error} action="redeliver" />
      <ErrorNotice error={list.error} action="list deliveries" />
      <PagedTable
        label="Deliveries"
        what="deliveries"
        columns={columns}
        query={list}
        rowKey={(d) => d.id}
        pages={pages}
        empty={
          <p>
            {failed
              ? "No failed deliveries."
              : "No deliveries yet. An automation's events, a test or a redelivery make them (kept 30 days)."}
          </p>
        }
      />
      {shownDelivery !== undefined && (
        <DeliveryDetails delivery={shownDelivery} onClose={() => setShown(null)} />
      )}
    </Section>
  );
}
