/**
 * One secret (/secrets/:owner/:name, SPEC §13): details, reveal and copy, a new version,
 * versions and rollback, status (enable, disable, delete, restore), sharing, where used and
 * activity. Its parts live in ./secret/.
 */
import { useQuery } from "@tanstack/react-query";
import { useCallback } from "react";
import { Link, useParams } from "wouter";
import { useTRPC } from "../trpc.js";
import { ErrorNotice } from "../ui/error-notice.js";
import { Loading } from "../ui/loading.js";
import { Page } from "../ui/page.js";
import { ActivityPanel } from "./secret/activity.js";
import { MetadataPanel } from "./secret/metadata.js";
import { NewVersionForm } from "./secret/new-version.js";
import { RevealPanel } from "./secret/reveal.js";
import { SharingPanel } from "./secret/sharing.js";
import { StatusPanel } from "./secret/status.js";
import { includesLevel, type Level, type SecretPart } from "./secret/types.js";
import { VersionsPanel } from "./secret/versions.js";
import { WhereUsedPanel } from "./secret/where-used.js";

export function SecretPage() {
  const { owner, name } = useParams<{ owner: string; name: string }>();
  // Keyed by the secret: going to another secret starts afresh, a revealed value included.
  return <SecretView key={`${owner}/${name}`} owner={owner} name={name} />;
}

function SecretView(props: { owner: string; name: string }) {
  const trpc = useTRPC();
  const secret = `${props.owner}/${props.name}`;
  const describe = useQuery(trpc.secret.describe.queryOptions({ secret }));
  const meta = describe.data;
  // The server's word on the caller's level (token scopes included): controls it would refuse
  // are not shown. It still decides every call.
  const access = meta?.access;
  const may = useCallback(
    (needed: Level) => access !== undefined && includesLevel(access, needed),
    [access],
  );

  if (meta === undefined) {
    return (
      <Page title={props.name}>
        {describe.isPending ? (
          <Loading what="the secret" />
        ) : (
          <>
            <ErrorNotice error={describe.error} action="show this secret" />
            <p>
              <Link href="/secrets">Back to the secrets</Link>
            </p>
          </>
        )}
      </Page>
    );
  }

  const part: SecretPart = { secret, meta, may };
  return (
    <Page title={meta.name}>
      <p className="secret-breadcrumb">
        <Link href="/secrets">Secrets</Link> / {meta.owner} / {meta.name}
      </p>
      <ErrorNotice error={describe.error} action="refresh this secret" />
      <div className="secret-grid">
        <div className="secret-column">
          <MetadataPanel {...part} />
          <StatusPanel {...part} />
        </div>
        <div className="secret-column">
          {/* A change of status starts it afresh: a shown value or a stale refusal goes. */}
          <RevealPanel key={meta.status} {...part} />
          {may("write") && meta.status !== "pending_deletion" && <NewVersionForm {...part} />}
        </div>
        <VersionsPanel {...part} />
        <SharingPanel {...part} />
        <WhereUsedPanel {...part} />
        <ActivityPanel {...part} />
      </div>
    </Page>
  );
}
