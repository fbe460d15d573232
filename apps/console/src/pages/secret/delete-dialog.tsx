/**
 * Delete with a recovery window (secret.delete): 7–30 days in which the secret cannot be read
 * and Restore brings it back. Confirmed by typing the secret's name; dependents are listed
 * and, once confirmed, acknowledged.
 */
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { ConfirmDialog } from "../../ui/confirm-dialog.js";
import { Field } from "../../ui/field.js";
import { useRefreshSecret } from "./refresh.js";
import type { SecretPart, UsedBy } from "./types.js";
import { inUse, UsedByWarning } from "./used-by.js";

const MIN_DAYS = 7;
const MAX_DAYS = 30;

export function DeleteDialog(
  props: Pick<SecretPart, "secret" | "meta"> & { usedBy: UsedBy | undefined; onClose: () => void },
) {
  const trpc = useTRPC();
  const refresh = useRefreshSecret();
  const [days, setDays] = useState(String(MIN_DAYS));
  const remove = useMutation({
    ...trpc.secret.delete.mutationOptions(),
    onSuccess: async () => {
      await refresh();
      props.onClose();
    },
  });
  const n = Number(days);
  const daysError =
    Number.isInteger(n) && n >= MIN_DAYS && n <= MAX_DAYS
      ? null
      : `A whole number of days from ${MIN_DAYS} to ${MAX_DAYS}.`;

  return (
    <ConfirmDialog
      open
      title={`Delete ${props.meta.name}?`}
      name={props.meta.name}
      actionLabel="Schedule deletion"
      pending={remove.isPending}
      error={remove.error}
      onCancel={props.onClose}
      onConfirm={() => {
        if (daysError !== null) return;
        remove.mutate({
          secret: props.secret,
          recoveryDays: n,
          ...(inUse(props.usedBy) ? { acknowledgeUsedBy: true } : {}),
        });
      }}
    >
      <p>
        Nobody can read it from now on. Coffer deletes it for good when the recovery window ends;
        until then <strong>Restore</strong> brings it back.
      </p>
      <Field label="Recovery window (days)" hint="From 7 to 30 days." error={daysError}>
        {(control) => (
          <input
            {...control}
            type="number"
            inputMode="numeric"
            min={MIN_DAYS}
            max={MAX_DAYS}
            step={1}
            required
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
        )}
      </Field>
      <UsedByWarning view={props.usedBy} doing="Deleting" />
    </ConfirmDialog>
  );
}
