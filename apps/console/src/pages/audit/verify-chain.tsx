/**
 * "Verify" (org admins): checks the audit log's seals and hash chain. Each verify after the
 * first passes the head the previous one saw, so a log cut back meanwhile is caught too.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { useCall } from "../../ui/use-call.js";

interface Verification {
  ok: boolean;
  checked: number;
  unlinked: number;
  head: { seq: number; digest: string };
  problems: string[];
}

export function VerifyChain() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [result, setResult] = useState<Verification | null>(null);
  const call = useCall();

  async function verify() {
    const expectHead = result?.head;
    const input = expectHead !== undefined && expectHead.seq > 0 ? { expectHead } : undefined;
    const r = await call.run(() =>
      queryClient.fetchQuery({ ...trpc.audit.verify.queryOptions(input), staleTime: 0 }),
    );
    if (r !== undefined) setResult(r);
  }

  return (
    <div className="verify">
      <Button disabled={call.pending} onClick={() => void verify()}>
        Verify
      </Button>
      <div role="status" className={result?.ok === false ? "notice notice-error" : undefined}>
        {call.pending ? (
          <p>Verifying the chain…</p>
        ) : result === null ? null : result.ok ? (
          <p>
            The audit log is intact: {result.checked} events checked, chained up to event{" "}
            {result.head.seq}
            {result.unlinked > 0 ? ` (${result.unlinked} newer ones not linked yet)` : ""}.
          </p>
        ) : (
          <>
            <p>The audit log fails verification: it was edited, or events are missing.</p>
            <ul>
              {result.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </>
        )}
      </div>
      <ErrorNotice error={call.error} action="verify the audit log" />
    </div>
  );
}
