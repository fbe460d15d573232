/**
 * A new version (secret.put) from a write-only field with Generate (ValueField). The value
 * and the calls go through the vanilla client and live only in this form's state (the
 * rules in trpc.ts); the field is cleared once the version is saved.
 */
import { useState } from "react";
import { useTRPCClient } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { useCall } from "../../ui/use-call.js";
import { ValueField } from "../../ui/value-field.js";
import { useRefreshSecret } from "./refresh.js";
import { Section } from "./section.js";
import type { SecretPart } from "./types.js";

export function NewVersionForm({ secret, meta }: SecretPart) {
  const client = useTRPCClient();
  const refresh = useRefreshSecret();
  const [value, setValue] = useState("");
  const [saved, setSaved] = useState<number | null>(null);
  const saving = useCall();

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
        <ValueField
          label="New value"
          hint="Saving makes it the current version; the current one becomes previous."
          value={value}
          onChange={(v) => {
            setValue(v);
            setSaved(null);
          }}
        />
        <ErrorNotice error={saving.error} action="save a new version" />
        <div className="form-actions">
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
