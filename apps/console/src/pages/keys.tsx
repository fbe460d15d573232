/**
 * Protection keys (SPEC §5, org admins): the keys that wrap secrets' data keys, each wrapped
 * by the root key. Create one (optionally the default for new secrets); rotate the root key.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../trpc.js";
import { Button } from "../ui/button.js";
import { ErrorNotice } from "../ui/error-notice.js";
import { Facts } from "../ui/facts.js";
import { Loading } from "../ui/loading.js";
import { Page } from "../ui/page.js";
import { Table, type Column } from "../ui/table.js";
import { Time } from "../ui/time.js";
import { RotateRootKey } from "./keys/rotate-root.js";

interface KeyRow {
  id: string;
  rootKeyId: string;
  isDefault: boolean;
  createdAt: string;
}

const columns: Column<KeyRow>[] = [
  {
    header: "Key",
    cell: (k) => (
      <span className="cell-wrap">
        <code>{k.id}</code>
      </span>
    ),
  },
  { header: "Default", cell: (k) => (k.isDefault ? "Default for new secrets" : "") },
  { header: "Wrapped by root key", cell: (k) => <code>{k.rootKeyId}</code>, optional: true },
  { header: "Created", cell: (k) => <Time iso={k.createdAt} />, optional: true },
];

export function KeysPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.key.list.queryOptions());
  const [makeDefault, setMakeDefault] = useState(false);
  const create = useMutation(
    trpc.key.create.mutationOptions({
      onSuccess: async () => {
        setMakeDefault(false);
        await queryClient.invalidateQueries({ queryKey: trpc.key.list.pathKey() });
      },
    }),
  );

  return (
    <Page title="Protection keys">
      <p className="muted">
        Each secret's values are sealed under a data key, wrapped by the secret's protection key,
        itself wrapped by the root key.
      </p>
      <ErrorNotice error={keys.error} action="list protection keys" />
      {keys.isPending ? (
        <Loading what="protection keys" />
      ) : keys.data !== undefined ? (
        <>
          <Facts
            items={[["Active root key", <code key="root">{keys.data.activeRootKeyId}</code>]]}
          />
          <div className="form-actions section-actions">
            <label className="check">
              <input
                type="checkbox"
                checked={makeDefault}
                onChange={(e) => setMakeDefault(e.target.checked)}
              />
              Make it the default for new secrets
            </label>
            <Button
              kind="primary"
              disabled={create.isPending}
              onClick={() => create.mutate({ makeDefault })}
            >
              Create key
            </Button>
            <span className="spacer" />
            <RotateRootKey activeRootKeyId={keys.data.activeRootKeyId} />
          </div>
          <ErrorNotice error={create.error} action="create a protection key" />
          <Table
            label="Protection keys"
            columns={columns}
            rows={keys.data.protectionKeys}
            rowKey={(k) => k.id}
            empty={<p>No protection keys yet: the first secret made creates the default one.</p>}
          />
        </>
      ) : null}
    </Page>
  );
}
