import { useId } from "react";
import { Field } from "../../ui/field.js";

/** A typed filter of the audit log, with optional suggestions (a datalist). */
export function TextFilter(props: {
  label: string;
  placeholder: string;
  maxLength: number;
  suggestions?: readonly string[];
  value: string;
  onChange: (text: string) => void;
}) {
  const listId = useId();
  return (
    <Field label={props.label}>
      {(control) => (
        <>
          <input
            {...control}
            {...(props.suggestions === undefined ? {} : { list: listId })}
            placeholder={props.placeholder}
            maxLength={props.maxLength}
            autoComplete="off"
            spellCheck={false}
            value={props.value}
            onChange={(e) => props.onChange(e.target.value)}
          />
          {props.suggestions !== undefined && (
            <datalist id={listId}>
              {props.suggestions.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          )}
        </>
      )}
    </Field>
  );
}
