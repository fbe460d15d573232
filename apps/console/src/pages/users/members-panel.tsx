/** One team's members: add (with a team role) and remove. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Loading } from "../../ui/loading.js";
import { SelectField } from "../../ui/select-field.js";
import { Table, type Column } from "../../ui/table.js";
import { TextField } from "../../ui/text-field.js";

type Role = "member" | "admin";

export function MembersPanel(props: { team: string }) {
  const { team } = props;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.team.members.queryOptions({ name: team }));
  const users = useQuery(trpc.user.list.queryOptions());
  const [user, setUser] = useState("");
  const [role, setRole] = useState<Role>("member");
  // Membership shows in the teams' counts and the users' teams too.
  const onSuccess = () =>
    Promise.all(
      [trpc.team.pathKey(), trpc.user.list.pathKey()].map((queryKey) =>
        queryClient.invalidateQueries({ queryKey }),
      ),
    );
  const add = useMutation(
    trpc.team.addMember.mutationOptions({
      onSuccess: async () => {
        setUser("");
        await onSuccess();
      },
    }),
  );
  const remove = useMutation(trpc.team.removeMember.mutationOptions({ onSuccess }));
  type MemberRow = NonNullable<typeof members.data>[number];

  const columns: Column<MemberRow>[] = [
    { header: "User", cell: (m) => m.user },
    { header: "Role", cell: (m) => (m.role === "admin" ? "Team admin" : "Member") },
    {
      header: "Actions",
      cell: (m) => (
        <Button disabled={remove.isPending} onClick={() => remove.mutate({ team, user: m.user })}>
          Remove
        </Button>
      ),
    },
  ];

  return (
    <div className="panel members-panel">
      <h3>Members of {team}</h3>
      <ErrorNotice error={members.error} action="list this team's members" />
      <ErrorNotice error={remove.error} action="remove this member" />
      {members.isPending ? (
        <Loading what="members" />
      ) : (
        <Table
          label={`Members of ${team}`}
          columns={columns}
          rows={members.data ?? []}
          rowKey={(m) => m.user}
          empty={<p>No one is in {team} yet. Add a user below.</p>}
        />
      )}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!add.isPending && user.trim() !== "") add.mutate({ team, user: user.trim(), role });
        }}
      >
        <TextField
          label="Member"
          hint="A user's name."
          required
          maxLength={39}
          suggestions={(users.data ?? []).map((u) => u.name)}
          value={user}
          onChange={setUser}
        />
        <SelectField
          label="Role"
          hint="Team admins manage the team's secrets and members."
          value={role}
          onChange={setRole}
          options={[
            ["member", "Member"],
            ["admin", "Team admin"],
          ]}
        />
        <Button type="submit" kind="primary" disabled={add.isPending || user.trim() === ""}>
          Add member
        </Button>
      </form>
      <ErrorNotice error={add.error} action="add this member" />
    </div>
  );
}
