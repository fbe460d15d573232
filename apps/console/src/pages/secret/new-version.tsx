/**
 * A new version (secret.put) from a write-only field, with Generate (random.generate). The
 * value and both calls go through the vanilla client and live only in this form's state (the
 * rules in trpc.ts); the field is cleared once the version is saved.
 */
import { useState } from "react";
import { useTRPCClient } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Field } from "../../ui/field.js";
import { useCall } from "../../ui/use-call.js";
import { useRefreshSecret } from "./refresh.js";
import { Section } from "./section.js";
import type { SecretPart } from "./types.js";

export function NewVersionForm({ secret, meta }: SecretPart) {
  const client = useTRPCClient();
  const refresh = useRefreshSecret();
  const [value, setValue] = useState("");
  const [saved, setSaved] = useState<number | null>(null);
  const saving = useCall();
  const generating = useCall();

  async function generate() {
    const generated = await generating.run(() => client.random.generate.mutate({ length: 32 }));
    if (generated !== undefined) setValue(generated.value);
  }

  async function save() {
    setSaved(null);
    // Check-and-set: someone else's version saved since this page loaded is not overwritten.
    const written = await saving.run(() =>
      client.secret.put.mutate({ secret, value, expectedVersion: meta.currentVersion }),
    );
    if (written === undefined) return;
    setValue("");
    setSaved(written.version);
    await refresh();
  }

  return (
    <Section title="New version">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!saving.pending && value !== "") void save();
        }}
      >
        <Field
          label="New value"
          hint="Write-only: Coffer never reads a value back into this field. Saving makes it the current version; the current one becomes previous."
        >
          {(control) => (
            <textarea
              {...control}
              className="value-input"
              rows={3}
              autoComplete="off"
              spellCheck={false}
              autoCorrect="off"
              autoCapitalize="off"
              value={value}
              onChange={(e) => {
                setValue(e.target.value);
                setSaved(null);
              }}
            />
          )}
        </Field>
        <ErrorNotice error={generating.error} action="generate a value" />
        <ErrorNotice error={saving.error} action="save a new version" />
        <div className="form-actions">
          <Button disabled={generating.pending} onClick={() => void generate()}>
            Generate
          </Button>
          <Button type="submit" kind="primary" disabled={saving.pending || value === ""}>
            Save version
          </Button>
          <span className="hint" aria-live="polite">
            {saved === null ? "" : `Saved version ${saved}: it is now current.`}
          </span>
        </div>
      </form>
    </Section>
  );
}
