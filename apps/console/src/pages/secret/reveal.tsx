/**
 * Reveal, Hide and Copy (SPEC §13). Both reveal and copy are the audited `secret.reveal`
 * mutation through the vanilla client; the value lives in this component's state only, goes
 * after 30 s or on Hide, and with the component when the page is left. Copy never shows it.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC, useTRPCClient } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { useCall } from "../../ui/use-call.js";
import { Section } from "./section.js";
import type { SecretPart } from "./types.js";

const HIDE_AFTER_MS = 30_000;

export function RevealPanel({ secret, meta, may }: SecretPart) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [shown, setShown] = useState<{ value: string; version: number } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [copyError, setCopyError] = useState<unknown>(null);
  const revealing = useCall();

  useEffect(() => {
    if (shown === null) return;
    const timer = setTimeout(() => {
      setShown(null);
      setNote("Hidden again after 30 seconds.");
    }, HIDE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [shown]);

  async function reveal(copy: boolean) {
    setNote(null);
    setCopyError(null);
    const revealed = await revealing.run(() => client.secret.reveal.mutate({ secret }));
    // Each reveal is an audit event and a read: activity and where-used show it.
    for (const queryKey of [trpc.audit.pathKey(), trpc.secret.whereUsed.pathKey()])
      void queryClient.invalidateQueries({ queryKey });
    if (revealed === undefined) return;
    if (!copy) {
      setShown({ value: revealed.value, version: revealed.version });
      return;
    }
    try {
      await navigator.clipboard.writeText(revealed.value);
      setNote(`Copied version ${revealed.version} to the clipboard.`);
    } catch (error) {
      setCopyError({
        message: error instanceof Error ? error.message : "the browser refused the clipboard",
      });
    }
  }

  if (!may("read")) {
    return (
      <Section title="Value">
        <p className="muted">
          You may see this secret’s details, not its value: reading it needs read access, which its
          owner can share with you.
        </p>
      </Section>
    );
  }

  return (
    <Section title="Value">
      {meta.status !== "enabled" && (
        <p className="hint">
          {meta.status === "disabled"
            ? "This secret is disabled: enable it to read its value."
            : "This secret is scheduled for deletion: restore it to read its value."}
        </p>
      )}
      <div className="form-actions">
        <Button kind="primary" disabled={revealing.pending} onClick={() => void reveal(false)}>
          Reveal
        </Button>
        <Button
          disabled={shown === null}
          onClick={() => {
            setShown(null);
            setNote(null);
          }}
        >
          Hide
        </Button>
        <Button disabled={revealing.pending} onClick={() => void reveal(true)}>
          Copy
        </Button>
      </div>
      {/* Empty (and with no box) unless revealed: a value is never kept anywhere else. */}
      <output aria-label="Value" className={shown === null ? undefined : "secret-value"}>
        {shown?.value}
      </output>
      {shown !== null && (
        <p className="hint">Version {shown.version}. Hidden again in 30 seconds, or on Hide.</p>
      )}
      <p className="hint" aria-live="polite">
        {note}
      </p>
      <ErrorNotice error={revealing.error} action="read this secret" />
      <ErrorNotice
        error={copyError}
        action="copy it"
        words={{ UNAVAILABLE: "The browser did not let Coffer write to the clipboard." }}
      />
    </Section>
  );
}
