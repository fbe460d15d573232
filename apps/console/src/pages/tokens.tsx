/**
 * Tokens and access keys (SPEC §4, §13): make one (shown once), list them by hint, disable,
 * enable (tokens, with a new expiry) and delete. Org admins may list everyone's tokens.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSession } from "../session.js";
import { useTRPC, useTRPCClient } from "../trpc.js";
import { ErrorNotice } from "../ui/error-notice.js";
import { Loading } from "../ui/loading.js";
import { Page } from "../ui/page.js";
import { Section } from "../ui/section.js";
import { CredentialTable, type CredentialActions } from "./tokens/credential-table.js";
import { NewCredentialForm } from "./tokens/new-credential-form.js";
import { useTokenRows } from "./tokens/token-rows.js";

export function TokensPage() {
  return (
    <Page title="Tokens and access keys">
      <p className="muted">
        Tokens sign in people and tools (<code>Authorization: Bearer</code>); access keys sign
        machines' requests. Both are shown once, when made.
      </p>
      <TokensSection />
      <AccessKeysSection />
    </Page>
  );
}

function TokensSection() {
  const session = useSession();
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [everyone, setEveryone] = useState(false);
  const tokens = useTokenRows(everyone);
  const whoami = useQuery(trpc.user.whoami.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.token.list.pathKey() });
  // Each action reads the list again, and answers its row (never undefined: useCall's "failed").
  const actions: CredentialActions = {
    disable: (id) => client.token.disable.mutate({ id }).finally(invalidate),
    enable: (id, expiresInSeconds) =>
      client.token.enable.mutate({ id, expiresInSeconds }).finally(invalidate),
    remove: (id) => client.token.delete.mutate({ id }).finally(invalidate),
  };

  return (
    <Section id="tokens" title="Tokens">
      <NewCredentialForm kind="token" />
      {session.orgRole === "admin" && (
        <label className="check">
          <input
            type="checkbox"
            checked={everyone}
            onChange={(e) => setEveryone(e.target.checked)}
          />
          Everyone's
        </label>
      )}
      <ErrorNotice error={tokens.error} action="list tokens" />
      {tokens.pending ? (
        <Loading what="tokens" />
      ) : (
        <CredentialTable
          label="Tokens"
          what="token"
          currentId={whoami.data?.tokenId}
          rows={tokens.rows}
          actions={actions}
          empty={
            <p>
              No tokens here. Make one above for the CLI or a script, or{" "}
              <code>coffer token create</code>.
            </p>
          }
        />
      )}
    </Section>
  );
}

function AccessKeysSection() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.accessKey.list.queryOptions());
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.accessKey.list.pathKey() });
  const actions: CredentialActions = {
    disable: (id) => client.accessKey.disable.mutate({ id }).finally(invalidate),
    remove: (id) => client.accessKey.delete.mutate({ id }).finally(invalidate),
  };

  return (
    <Section id="access-keys" title="Access keys">
      <NewCredentialForm kind="access key" />
      <ErrorNotice error={keys.error} action="list access keys" />
      {keys.isPending ? (
        <Loading what="access keys" />
      ) : (
        <CredentialTable
          label="Access keys"
          what="access key"
          rows={keys.data ?? []}
          actions={actions}
          empty={
            <p>
              No access keys yet. Make one above for a machine that signs its requests (an id and a
              secret, HMAC-SHA256).
            </p>
          }
        />
      )}
    </Section>
  );
}
