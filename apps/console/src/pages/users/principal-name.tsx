/** Users and teams share one namespace of names (SPEC §2), checked as the person types. */
import { TextField } from "../../ui/text-field.js";

const PRINCIPAL_NAME = /^[a-z][a-z0-9-]{0,38}$/;

export function nameError(name: string): string | null {
  if (name === "" || PRINCIPAL_NAME.test(name)) return null;
  return "Lowercase letters, digits and -, starting with a letter (at most 39).";
}

/** A new user's or team's name ("User name", "Team name"), its error under it. */
export function PrincipalNameField(props: {
  label: string;
  value: string;
  onChange: (name: string) => void;
  hint?: string;
}) {
  return (
    <TextField
      label={props.label}
      required
      maxLength={39}
      error={nameError(props.value)}
      {...(props.hint === undefined ? {} : { hint: props.hint })}
      value={props.value}
      onChange={props.onChange}
    />
  );
}
