/** The secrets list (SPEC §13): mine, my teams', shared with me; search by name; new secret. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { useSession } from "../session.js";
import { useTRPC } from "../trpc.js";
import { Button } from "../ui/button.js";
import { ErrorNotice } from "../ui/error-notice.js";
import { Loading } from "../ui/loading.js";
import { PagedTable } from "../ui/paged-table.js";
import { Page } from "../ui/page.js";
import { useCursorPages } from "../ui/pagination.js";
import { SelectField } from "../ui/select-field.js";
import type { Column } from "../ui/table.js";
import { Tabs } from "../ui/tabs.js";
import { TextField } from "../ui/text-field.js";
import { Time } from "../ui/time.js";
import { useSettled } from "../ui/use-settled.js";
import { NewSecretForm } from "./new-secret-form.js";

type Tab = "mine" | "teams" | "shared";
const tabs = [
  { key: "mine", label: "Mine" },
  { key: "teams", label: "My teams'" },
  { key: "shared", label: "Shared with me" },
] as const;
const PAGE_SIZE = 100;

/** A row of `secret.list` (SecretMeta on the server; never a value). */
interface SecretRow {
  owner: string;
  name: string;
  status: "enabled" | "disabled" | "pending_deletion";
  currentVersion: number;
  updatedAt: string;
}

const statusText: Record<SecretRow["status"], string> = {
  enabled: "Enabled",
  disabled: "Disabled",
  pending_deletion: "Pending deletion",
};

export const secretPath = (owner: string, name: string) =>
  `/secrets/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;

const columns: Column<SecretRow>[] = [
  { header: "Name", cell: (s) => <Link href={secretPath(s.owner, s.name)}>{s.name}</Link> },
  { header: "Owner", cell: (s) => s.owner },
  {
    header: "Status",
    cell: (s) => <span className={`status status-${s.status}`}>{statusText[s.status]}</span>,
  },
  { header: "Current version", cell: (s) => `v${s.currentVersion}`, optional: true },
  { header: "Updated", cell: (s) => <Time iso={s.updatedAt} />, optional: true },
];

export function SecretsPage() {
  const session = useSession();
  const trpc = useTRPC();
  const [tab, setTab] = useState<Tab>("mine");
  const [team, setTeam] = useState("");
  const [search, setSearch] = useState("");
  const [creating, setCreating] = useState(false);
  const prefix = useSettled(search.trim(), 250);

  const whoami = useQuery(trpc.user.whoami.queryOptions());
  const myTeams = (whoami.data?.teams ?? []).map((t) => t.team);
  const chosenTeam = myTeams.includes(team) ? team : myTeams[0];

  const filter =
    tab === "mine"
      ? { owner: session.user }
      : tab === "teams"
        ? chosenTeam === undefined
          ? null
          : { owner: chosenTeam }
        : { shared: true };
  const pages = useCursorPages(JSON.stringify([filter, prefix]));
  const list = useQuery({
    ...trpc.secret.list.queryOptions({
      ...filter,
      ...(prefix === "" ? {} : { prefix }),
      ...(pages.cursor === undefined ? {} : { cursor: pages.cursor }),
      limit: PAGE_SIZE,
    }),
    enabled: filter !== null,
    placeholderData: keepPreviousData,
  });

  return (
    <Page
      title="Secrets"
      actions={
        <Button kind="primary" aria-expanded={creating} onClick={() => setCreating(true)}>
          New secret
        </Button>
      }
    >
      {creating && (
        <NewSecretForm
          onClose={() => setCreating(false)}
          {...(tab === "teams" && chosenTeam !== undefined ? { defaultOwner: chosenTeam } : {})}
        />
      )}
      <div className="toolbar">
        <Tabs label="Whose secrets" tabs={tabs} selected={tab} onSelect={setTab} />
        {tab === "teams" && chosenTeam !== undefined && myTeams.length > 1 && (
          <SelectField label="Team" value={chosenTeam} onChange={setTeam} options={myTeams} />
        )}
        <TextField
          label="Search"
          type="search"
          placeholder="Name starts with…"
          maxLength={128}
          value={search}
          onChange={setSearch}
        />
      </div>
      <ErrorNotice error={list.error} action="list these secrets" />
      {filter === null ? (
        whoami.isPending ? (
          <Loading what="your teams" />
        ) : (
          <div className="empty">
            <p>You are in no team yet. An admin adds you to one under Users and teams.</p>
          </div>
        )
      ) : (
        <PagedTable
          label="Secrets"
          what="secrets"
          columns={columns}
          query={list}
          rowKey={(s) => `${s.owner}/${s.name}`}
          pages={pages}
          empty={<EmptySecrets tab={tab} prefix={prefix} />}
        />
      )}
    </Page>
  );
}

function EmptySecrets(props: { tab: Tab; prefix: string }) {
  if (props.prefix !== "")
    return <p>No secret here has a name starting with “{props.prefix}”. Try a shorter search.</p>;
  switch (props.tab) {
    case "mine":
      return (
        <p>
          No secrets yet. Create one with <strong>New secret</strong>, or{" "}
          <code>coffer secret add</code>.
        </p>
      );
    case "teams":
      return (
        <p>
          This team has no secrets yet. A team admin creates them with <strong>New secret</strong>.
        </p>
      );
    case "shared":
      return <p>Nothing is shared with you yet. An owner shares a secret from its page.</p>;
  }
}
