/**
 * The owner and name of a new secret, rotator, hook or automation: owned by a user or a team,
 * named `OWNER/NAME`, the name checked as the server checks it.
 */
import type { Ref } from "react";
import { SelectField } from "./select-field.js";
import { TextField } from "./text-field.js";

/** SECRET_NAME_SOURCE of core, which names rotators, hooks and automations too (copied: the console imports no runtime code from core). */
export const OWNED_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
export const OWNED_NAME_HINT =
  "Letters, digits, _ and -, starting with a letter or _ (at most 128).";

/** Why `name` is no valid name (null when it is, or is still empty). */
export function nameError(name: string): string | null {
  return name !== "" && !OWNED_NAME.test(name) ? OWNED_NAME_HINT : null;
}

/** A select labelled "Owner" over `owners` (useOwnerChoices). */
export function OwnerField(props: {
  owners: readonly string[];
  value: string;
  onChange: (owner: string) => void;
  hint?: string;
  selectRef?: Ref<HTMLSelectElement>;
}) {
  return (
    <SelectField
      label="Owner"
      hint={props.hint ?? "You, or a team you administer."}
      value={props.value}
      onChange={props.onChange}
      options={props.owners}
      {...(props.selectRef === undefined ? {} : { selectRef: props.selectRef })}
    />
  );
}

/** The name of a new secret, rotator, hook or automation. */
export function NameField(props: {
  label: string;
  value: string;
  onChange: (name: string) => void;
  inputRef?: Ref<HTMLInputElement>;
}) {
  return (
    <TextField
      label={props.label}
      required
      maxLength={128}
      error={nameError(props.value)}
      value={props.value}
      onChange={props.onChange}
      {...(props.inputRef === undefined ? {} : { inputRef: props.inputRef })}
    />
  );
}
