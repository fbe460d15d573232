/** Teams (org admins make them) and, for the one picked, its members. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSession } from "../../session.js";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Loading } from "../../ui/loading.js";
import { Section } from "../../ui/section.js";
import { Table, type Column } from "../../ui/table.js";
import { MembersPanel } from "./members-panel.js";
import { nameError, PrincipalNameField } from "./principal-name.js";

export function TeamsSection() {
  const session = useSession();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const teams = useQuery(trpc.team.list.queryOptions());
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<string | null>(null);
  const create = useMutation(
    trpc.team.create.mutationOptions({
      onSuccess: async (made) => {
        setName("");
        setPicked(made.name);
        await queryClient.invalidateQueries({ queryKey: trpc.team.list.pathKey() });
      },
    }),
  );
  const invalid = nameError(name);
  type TeamRow = NonNullable<typeof teams.data>[number];

  const columns: Column<TeamRow>[] = [
    { header: "Name", cell: (t) => t.name },
    { header: "Members", cell: (t) => t.members },
    {
      header: "Actions",
      cell: (t) => (
        <Button
          aria-expanded={picked === t.name}
          onClick={() => setPicked(picked === t.name ? null : t.name)}
        >
          {picked === t.name ? "Hide members" : "Show members"}
        </Button>
      ),
    },
  ];

  return (
    <Section id="teams" title="Teams">
      {session.orgRole === "admin" && (
        <form
          className="panel inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!create.isPending && name !== "" && invalid === null) create.mutate({ name });
          }}
        >
          <PrincipalNameField
            label="Team name"
            value={name}
            onChange={setName}
            hint="Users and teams share one set of names."
          />
          <Button
            type="submit"
            kind="primary"
            disabled={create.isPending || name === "" || invalid !== null}
          >
            Create team
          </Button>
        </form>
      )}
      <ErrorNotice error={create.error} action="create this team" />
      <ErrorNotice error={teams.error} action="list teams" />
      {teams.isPending ? (
        <Loading what="teams" />
      ) : (
        <Table
          label="Teams"
          columns={columns}
          rows={teams.data ?? []}
          rowKey={(t) => t.name}
          empty={<p>No teams yet. Make one above, then add its members.</p>}
        />
      )}
      {picked !== null && <MembersPanel team={picked} />}
    </Section>
  );
}
