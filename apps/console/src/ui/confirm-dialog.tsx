import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Button } from "./button.js";
import { ErrorNotice } from "./error-notice.js";

/**
 * A destructive action confirmed by typing `name` (a native modal `<dialog>`: it traps focus
 * and Escape cancels). The action button stays disabled until the typed name matches.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  name: string;
  actionLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  pending?: boolean;
  error?: unknown;
  children?: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState("");
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (props.open && !dialog.open) {
      setTyped("");
      dialog.showModal();
    } else if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed === props.name) props.onConfirm();
        }}
      >
        <h2 id={`${id}-title`}>{props.title}</h2>
        {props.children}
        <div className="field">
          <label htmlFor={`${id}-name`}>
            Type <strong>{props.name}</strong> to confirm
          </label>
          <input
            id={`${id}-name`}
            value={typed}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setTyped(e.target.value)}
          />
        </div>
        <ErrorNotice error={props.error} action={props.actionLabel.toLowerCase()} />
        <div className="dialog-actions">
          <Button onClick={props.onCancel}>Cancel</Button>
          <Button
            type="submit"
            kind="danger"
            disabled={typed !== props.name || props.pending === true}
          >
            {props.actionLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
