/**
 * A write-only value field with Generate (random.generate), as the New secret form and a
 * secret's New version use it. The value is the caller's state; the generate call goes through
 * the vanilla client so that the value it returns never enters the query cache (trpc.ts).
 */
import { useTRPCClient } from "../trpc.js";
import { Button } from "./button.js";
import { ErrorNotice } from "./error-notice.js";
import { Field } from "./field.js";
import { useCall } from "./use-call.js";

/** How many random characters Generate asks for. */
const GENERATED_LENGTH = 32;

export function ValueField(props: {
  label: string;
  /** What saving the value does, after the sentences every value field carries. */
  hint?: string;
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
}) {
  const client = useTRPCClient();
  const generating = useCall();
  const { onChange } = props;

  async function generate() {
    const generated = await generating.run(() =>
      client.random.generate.mutate({ length: GENERATED_LENGTH }),
    );
    if (generated !== undefined) onChange(generated.value);
  }

  const hint = [
    "Write-only: Coffer never reads a value back into this field.",
    `Generate makes ${GENERATED_LENGTH} random characters.`,
    props.hint,
  ]
    .filter((s) => s !== undefined)
    .join(" ");
  return (
    <div className="value-field">
      <Field label={props.label} hint={hint}>
        {(control) => (
          <textarea
            {...control}
            className="value-input"
            required={props.required}
            rows={3}
            autoComplete="off"
            spellCheck={false}
            autoCorrect="off"
            autoCapitalize="off"
            value={props.value}
            onChange={(e) => onChange(e.target.value)}
          />
        )}
      </Field>
      <ErrorNotice error={generating.error} action="generate a value" />
      <div className="form-actions value-field-actions">
        <Button disabled={generating.pending} onClick={() => void generate()}>
          Generate
        </Button>
      </div>
    </div>
  );
}
