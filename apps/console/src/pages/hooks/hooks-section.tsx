/**
 * The hooks the signed-in user may see (SPEC §12): listed, shown as written (templates, the
 * secrets they name, the signing key's secret), created, changed, tested, disabled and enabled
 * (`hook.update` with `enabled`), deleted.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { DeliveryView, HookEventType, HookView } from "@coffer/core";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { useCursorPages } from "../../ui/pagination.js";
import type { Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { DeleteDialog } from "../../ui/delete-dialog.js";
import { Facts, listText } from "../../ui/facts.js";
import { PagedTable } from "../../ui/paged-table.js";
import { Section } from "../../ui/section.js";
import { SelectField } from "../../ui/select-field.js";
import { SecretLink } from "../rotation/rotators.js";
import { HookForm } from "./hook-form.js";
import { eventTypes, headersText } from "./templates.js";

const disabledText: Record<NonNullable<HookView["disabledReason"]>, string> = {
  gone: "Disabled: the receiver answered 410 Gone",
  failing: "Disabled: failing for 72 hours",
  manual: "Disabled by hand",
};

export function HookStatus(props: { hook: HookView }) {
  const reason = props.hook.disabledReason;
  if (props.hook.enabled) return <span className="status">Enabled</span>;
  return (
    <span className={`status status-${reason ?? "off"}`}>
      {reason === null ? "Disabled" : disabledText[reason]}
    </span>
  );
}

/** A delivery's outcome in a sentence: its state and its last attempt's answer. */
export function deliveryOutcome(d: DeliveryView): string {
  const last = d.attempts.at(-1);
  const answer =
    last === undefined
      ? "no attempt yet"
      : last.status !== null
        ? `HTTP ${last.status}${last.error === null ? "" : `, ${last.error}`}`
        : (last.error ?? "no answer");
  return `${d.state} (${answer})`;
}

/** A hook as written, with test: what a person checks before trusting it. */
function HookDetails(props: { hook: HookView; onEdit: () => void; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const h = props.hook;
  const [event, setEvent] = useState<HookEventType>("secret.version.created");
  const test = useMutation(
    trpc.hook.test.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.deliveries.pathKey() }),
    }),
  );
  return (
    <section className="panel" aria-labelledby="hook-details-title">
      <h2 id="hook-details-title">Hook {h.ref}</h2>
      <Facts
        label={`Hook ${h.ref}`}
        items={[
          ["Status", <HookStatus key="s" hook={h} />],
          ["Description", h.description === "" ? <span className="muted">—</span> : h.description],
          ["Secrets its templates name", listText(h.secrets)],
          ["Allowed secrets", listText(h.allowSecrets)],
          [
            "Signing key",
            h.signingSecret === "" ? (
              <span className="muted">—</span>
            ) : (
              <>
                in secret <SecretLink secret={h.signingSecret} /> (give its value to the receiver)
              </>
            ),
          ],
          [
            "Updated",
            <>
              <Time iso={h.updatedAt} /> by {h.updatedBy}
            </>,
          ],
        ]}
      />
      <h3>URL</h3>
      <pre className="template">{h.url}</pre>
      <h3>Headers</h3>
      {Object.keys(h.headers).length === 0 ? (
        <p className="muted">None besides the signature&apos;s.</p>
      ) : (
        <pre className="template">{headersText(h.headers)}</pre>
      )}
      <h3>Body</h3>
      {h.body === null ? (
        <p className="muted">None: Coffer sends the event itself as JSON.</p>
      ) : (
        <pre className="template">{h.body}</pre>
      )}
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          test.mutate({ hook: h.ref, event });
        }}
      >
        <SelectField label="Test event" value={event} onChange={setEvent} options={eventTypes} />
        <Button type="submit" disabled={test.isPending || !h.enabled}>
          {test.isPending ? "Sending…" : "Send test"}
        </Button>
      </form>
      {!h.enabled && <p className="hint">Enable the hook to send it a test.</p>}
      {test.data !== undefined && (
        <p className="notice notice-ok" role="status">
          Test delivery {test.data.id}: {deliveryOutcome(test.data)}.
        </p>
      )}
      <ErrorNotice error={test.error} action="test this hook" />
      <div className="form-actions">
        <Button onClick={props.onEdit}>Change hook</Button>
        <Button onClick={props.onClose}>Close</Button>
      </div>
    </section>
  );
}

export function HooksSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<"new" | HookView | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<HookView | null>(null);
  const pages = useCursorPages("hooks");
  const list = useQuery({
    ...trpc.hook.list.queryOptions(pages.cursor === undefined ? {} : { cursor: pages.cursor }),
    placeholderData: keepPreviousData,
  });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.hook.pathKey() });
  const toggle = useMutation(trpc.hook.update.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(
    trpc.hook.delete.mutationOptions({
      onSuccess: async (_, { hook }) => {
        setDeleting(null);
        if (shown === hook) setShown(null);
        await invalidate();
      },
    }),
  );
  const hooks = list.data?.items ?? [];
  const shownHook = hooks.find((h) => h.ref === shown);

  const columns: Column<HookView>[] = [
    { header: "Name", cell: (h) => h.ref },
    { header: "URL", cell: (h) => <code>{h.url}</code>, optional: true },
    { header: "Status", cell: (h) => <HookStatus hook={h} /> },
    { header: "Secrets", cell: (h) => listText(h.secrets), optional: true },
    {
      header: "Actions",
      cell: (h) => (
        <div className="row-actions">
          <Button
            aria-expanded={shown === h.ref}
            onClick={() => setShown(shown === h.ref ? null : h.ref)}
          >
            Details
          </Button>
          <Button
            disabled={toggle.isPending}
            onClick={() => toggle.mutate({ hook: h.ref, enabled: !h.enabled })}
          >
            {h.enabled ? "Disable" : "Enable"}
          </Button>
          <Button
            kind="danger"
            onClick={() => {
              remove.reset();
              setDeleting(h);
            }}
          >
            Delete
          </Button>
        </div>
      ),
    },
  ];

  return (
    <Section
      id="hooks"
      title="Hooks"
      actions={
        <Button kind="primary" aria-expanded={form === "new"} onClick={() => setForm("new")}>
          New hook
        </Button>
      }
    >
      <p className="muted">
        A hook is a request Coffer sends for you. Its templates name secrets as{" "}
        <code>{"${OWNER/NAME}"}</code>, read at each delivery with the owner&apos;s rights; the
        console never shows a rendered value.
      </p>
      {form !== null && (
        <HookForm
          key={form === "new" ? "new" : form.ref}
          {...(form === "new" ? {} : { hook: form })}
          onClose={() => setForm(null)}
        />
      )}
      <ErrorNotice error={list.error} action="list hooks" />
      <ErrorNotice error={toggle.error} action="change this hook" />
      <PagedTable
        label="Hooks"
        what="hooks"
        columns={columns}
        query={list}
        rowKey={(h) => h.ref}
        pages={pages}
        empty={
          <p>
            No hooks yet. Create one with <strong>New hook</strong>, then an automation below to
            send it when something happens.
          </p>
        }
      />
      {shownHook !== undefined && (
        <HookDetails
          key={shownHook.ref}
          hook={shownHook}
          onEdit={() => setForm(shownHook)}
          onClose={() => setShown(null)}
        />
      )}
      <DeleteDialog
        kind="hook"
        thing={deleting}
        call={remove}
        onCancel={() => setDeleting(null)}
        onConfirm={(ref) => remove.mutate({ hook: ref })}
      >
        <p>
          Coffer refuses while an automation sends it: delete those first. Its signing key stays, as
          a secret.
        </p>
      </DeleteDialog>
    </Section>
  );
}
