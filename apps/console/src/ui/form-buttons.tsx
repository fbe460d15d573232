import { Button } from "./button.js";

/** A form's Cancel and submit buttons, at its end. */
export function FormButtons(props: { submit: string; disabled: boolean; onCancel: () => void }) {
  return (
    <div className="form-actions">
      <span className="spacer" />
      <Button onClick={props.onCancel}>Cancel</Button>
      <Button type="submit" kind="primary" disabled={props.disabled}>
        {props.submit}
      </Button>
    </div>
  );
}
