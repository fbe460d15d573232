/** Enabling a token asks for a new expiry (SPEC §4): a small modal dialog. */
import { useEffect, useId, useRef, useState } from "react";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { DaysField, daysError, daysToSeconds } from "./days.js";

export function EnableDialog(props: {
  open: boolean;
  name: string;
  pending: boolean;
  error: unknown;
  onEnable: (expiresInSeconds: number) => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [days, setDays] = useState("30");
  const titleId = useId();
  const invalid = daysError(days);
  // A native modal dialog: it keeps the focus inside, and Escape cancels.
  useEffect(() => {
    const dialog = ref.current;
    if (props.open && dialog?.open === false) dialog.showModal();
    if (!props.open && dialog?.open === true) dialog.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (invalid === null && !props.pending) props.onEnable(daysToSeconds(days));
        }}
      >
        <h2 id={titleId}>Enable the token “{props.name}”</h2>
        <DaysField label="New expiry (days)" value={days} onChange={setDays} />
        <ErrorNotice error={props.error} action="enable this token" />
        <div className="dialog-actions">
          <Button onClick={props.onCancel}>Cancel</Button>
          <Button type="submit" kind="primary" disabled={invalid !== null || props.pending}>
            Enable
          </Button>
        </div>
      </form>
    </dialog>
  );
}
