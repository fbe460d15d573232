import type { ReactNode } from "react";
import { ConfirmDialog } from "./confirm-dialog.js";

/**
 * Deleting an owned thing (rotator, hook, automation) named `OWNER/NAME`: ConfirmDialog, open
 * while `thing` is set, confirmed by typing its name.
 */
export function DeleteDialog(props: {
  kind: string;
  thing: { ref: string; name: string } | null;
  call: { isPending: boolean; error: unknown };
  onCancel: () => void;
  onConfirm: (ref: string) => void;
  children: ReactNode;
}) {
  const { thing } = props;
  return (
    <ConfirmDialog
      open={thing !== null}
      title={`Delete ${props.kind} ${thing?.ref ?? ""}`}
      name={thing?.name ?? ""}
      actionLabel={`Delete ${props.kind}`}
      pending={props.call.isPending}
      error={props.call.error}
      onCancel={props.onCancel}
      onConfirm={() => {
        if (thing !== null) props.onConfirm(thing.ref);
      }}
    >
      {props.children}
    </ConfirmDialog>
  );
}
