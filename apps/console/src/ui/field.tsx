import { useId, type ReactNode } from "react";

/** What a Field hands its control so that the label, hint and error are wired to it. */
export interface ControlProps {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}

/**
 * A labelled control: `<label>`, the control (from `children`), a hint and an error, tied
 * together by ids so that a screen reader reads the hint and the error with the control.
 */
export function Field(props: {
  label: string;
  hint?: ReactNode;
  error?: string | null | undefined;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const hasError = props.error !== undefined && props.error !== null && props.error !== "";
  const describedBy = [props.hint !== undefined ? hintId : null, hasError ? errorId : null]
    .filter((x) => x !== null)
    .join(" ");
  const control: ControlProps = { id };
  if (describedBy !== "") control["aria-describedby"] = describedBy;
  if (hasError) control["aria-invalid"] = true;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children(control)}
      {props.hint !== undefined && (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      )}
      {hasError && (
        <p id={errorId} className="field-error">
          {props.error}
        </p>
      )}
    </div>
  );
}
