import { useId, type ReactNode, type Ref } from "react";
import { Field } from "./field.js";

/**
 * A labelled text input for names, references, URLs and templates: no autocomplete, no
 * spelling marks. (Never for a value: those have their own write-only field, ValueField.)
 */
export function TextField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
  error?: string | null;
  maxLength: number;
  required?: boolean;
  inputMode?: "numeric";
  /** Offered as the person types (a `<datalist>`). */
  suggestions?: readonly string[];
  placeholder?: string;
  type?: "search";
  inputRef?: Ref<HTMLInputElement>;
}) {
  const listId = useId();
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      {(control) => (
        <>
          <input
            {...control}
            ref={props.inputRef}
            type={props.type}
            required={props.required}
            maxLength={props.maxLength}
            inputMode={props.inputMode}
            list={props.suggestions === undefined ? undefined : listId}
            placeholder={props.placeholder}
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
