/**
 * A credential shown once (SPEC §4, §13): a new token or access-key secret, held by the page
 * that made it in component state only, until "Done" (or leaving the page) forgets it. It is
 * never put back into an input, a URL, the title, browser storage or a query cache.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Button } from "./button.js";

export function ShownOnce(props: {
  /** The output's accessible name: "New token", "New access key". */
  label: string;
  /** What the output shows (the token; an access key's id and secret). */
  value: ReactNode;
  /** What Copy writes to the clipboard (the token; an access key's secret). */
  copyText: string;
  /** The heading's words: "Token “deploy” created". */
  title: string;
  /** Lines shown above the value (when it expires). */
  children?: ReactNode;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const titleId = useId();
  // It appears where the person's focus was (a create button): move focus to it so that a
  // screen reader announces it and the next Tab reaches Copy.
  useEffect(() => box.current?.focus(), []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(props.copyText);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  }

  return (
    <div
      className="panel shown-once"
      role="region"
      ref={box}
      tabIndex={-1}
      aria-labelledby={titleId}
    >
      <h3 id={titleId}>{props.title}</h3>
      <p className="notice">
        Copy it now: Coffer shows it only this once and keeps only a hash of it (the list shows its
        first characters).
      </p>
      {props.children}
      <output aria-label={props.label} className="shown-once-value">
        {props.value}
      </output>
      <div className="form-actions">
        <Button kind="primary" onClick={() => void copy()}>
          Copy
        </Button>
        <Button onClick={props.onDone}>Done</Button>
        <span role="status" className="muted">
          {copied === "yes"
            ? "Copied to the clipboard."
            : copied === "failed"
              ? "The browser refused the clipboard: select the text and copy it."
              : ""}
        </span>
      </div>
    </div>
  );
}
