import type { ReactNode, Ref } from "react";
import { Field } from "./field.js";

/** A labelled select; `options` are values, or [value, text] pairs. */
export function SelectField<T extends string>(props: {
  label: string;
  value: T;
  onChange: (value: T) => void;
  options: readonly (T | readonly [T, string])[];
  hint?: ReactNode;
  selectRef?: Ref<HTMLSelectElement>;
}) {
  return (
    <Field label={props.label} hint={props.hint}>
      {(control) => (
        <select
          {...control}
          ref={props.selectRef}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value as T)}
        >
          {props.options.map((o) => {
            const [value, text] = typeof o === "string" ? [o, o] : o;
            return (
              <option key={value} value={value}>
                {text}
              </option>
            );
          })}
        </select>
      )}
    </Field>
  );
}
