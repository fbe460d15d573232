/**
 * The secret's state and what changes it: Disable / Enable (secret.disable / enable), Delete
 * (with its dialog), Restore while pending deletion. Disabling a secret that hooks, automations
 * or rotators name asks first, listing them, then acknowledges them.
 */
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ConfirmDialog } from "../../ui/confirm-dialog.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Time } from "../../ui/time.js";
import { DeleteDialog } from "./delete-dialog.js";
import { useRefreshSecret } from "./refresh.js";
import { Section } from "./section.js";
import type { SecretPart } from "./types.js";
import { inUse, UsedByList, UsedByWarning, useUsedBy } from "./used-by.js";

export const statusText = {
  enabled: "Enabled",
  disabled: "Disabled",
  pending_deletion: "Pending deletion",
} as const;

export function StatusPanel({ secret, meta, may }: SecretPart) {
  const trpc = useTRPC();
  const refresh = useRefreshSecret();
  const usedBy = useUsedBy(secret);
  const [asking, setAsking] = useState<"disable" | "delete" | null>(null);
  const done = { onSuccess: () => refresh() };
  const enable = useMutation({ ...trpc.secret.enable.mutationOptions(), ...done });
  const disable = useMutation({
    ...trpc.secret.disable.mutationOptions(),
    onSuccess: async () => {
      await refresh();
      setAsking(null);
    },
    // Refused as in use while the page knew of no dependents: fetch them, so the next
    // Disable asks about them.
    onError: () => refresh(),
  });
  const restore = useMutation({ ...trpc.secret.restore.mutationOptions(), ...done });
  const pending = meta.status === "pending_deletion";

  return (
    <Section title="Status">
      <p>
        <span className={`status status-${meta.status}`}>{statusText[meta.status]}</span>{" "}
        {meta.status === "enabled" && "Readable by those it is shared with."}
        {meta.status === "disabled" && "Nobody can read its value until it is enabled."}
        {pending && (
          <>
            Deleted for good <Time iso={meta.deletionDate} />; nobody can read it until then.
          </>
        )}
      </p>
      {usedBy.data !== undefined && inUse(usedBy.data) && (
        <div className="used-by-summary">
          <p className="hint">Used by:</p>
          <UsedByList view={usedBy.data} />
        </div>
      )}
      {/* Nothing to do here without write access: no empty row of buttons. */}
      {may("write") && (
        <div className="form-actions">
          {!pending && may("write") && meta.status === "enabled" && (
            <Button
              disabled={disable.isPending}
              onClick={() => {
                disable.reset();
                if (inUse(usedBy.data)) setAsking("disable");
                else disable.mutate({ secret });
              }}
            >
              Disable
            </Button>
          )}
          {!pending && may("write") && meta.status === "disabled" && (
            <Button disabled={enable.isPending} onClick={() => enable.mutate({ secret })}>
              Enable
            </Button>
          )}
          {!pending && may("manage") && (
            <Button kind="danger" onClick={() => setAsking("delete")}>
              Delete
            </Button>
          )}
          {pending && may("manage") && (
            <Button
              kind="primary"
              disabled={restore.isPending}
              onClick={() => restore.mutate({ secret })}
            >
              Restore
            </Button>
          )}
        </div>
      )}
      {asking !== "disable" && <ErrorNotice error={disable.error} action="disable this secret" />}
      <ErrorNotice error={enable.error} action="enable this secret" />
      <ErrorNotice error={restore.error} action="restore this secret" />
      {asking === "disable" && (
        <ConfirmDialog
          open
          title={`Disable ${meta.name}?`}
          name={meta.name}
          actionLabel="Disable anyway"
          pending={disable.isPending}
          error={disable.error}
          onCancel={() => setAsking(null)}
          onConfirm={() => disable.mutate({ secret, acknowledgeUsedBy: true })}
        >
          <UsedByWarning view={usedBy.data} doing="Disabling" />
        </ConfirmDialog>
      )}
      {asking === "delete" && (
        <DeleteDialog
          secret={secret}
          meta={meta}
          usedBy={usedBy.data}
          onClose={() => setAsking(null)}
        />
      )}
    </Section>
  );
}
