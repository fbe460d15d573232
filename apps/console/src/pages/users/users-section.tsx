/** The org's users (org admins): who they are, their role, status and teams; disable, enable. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSession } from "../../session.js";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { Loading } from "../../ui/loading.js";
import { Section } from "../../ui/section.js";
import { Table, type Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { NewUserForm } from "./new-user-form.js";

export function UsersSection() {
  const session = useSession();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.user.list.queryOptions());
  // A user's status shows in the teams' and tokens' views too (disabling disables its tokens).
  const onSettled = () =>
    Promise.all(
      [trpc.user.pathKey(), trpc.team.pathKey(), trpc.token.pathKey()].map((queryKey) =>
        queryClient.invalidateQueries({ queryKey }),
      ),
    );
  const disable = useMutation(trpc.user.disable.mutationOptions({ onSettled }));
  const enable = useMutation(trpc.user.enable.mutationOptions({ onSettled }));
  type UserRow = NonNullable<typeof users.data>[number];
  const admin = session.orgRole === "admin";

  const columns: Column<UserRow>[] = [
    {
      header: "Name",
      cell: (u) => (u.name === session.user ? `${u.name} (you)` : u.name),
    },
    {
      header: "Role",
      cell: (u) => (u.orgRole === "admin" ? "Admin" : "Member"),
      optional: true,
    },
    {
      header: "Status",
      cell: (u) => (
        <span className={`status status-${u.status}`}>
          {u.status === "active" ? "Active" : "Disabled"}
        </span>
      ),
    },
    {
      header: "Teams",
      cell: (u) =>
        u.teams.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          u.teams.map((t) => `${t.team}${t.role === "admin" ? " (admin)" : ""}`).join(", ")
        ),
      optional: true,
    },
    { header: "Created", cell: (u) => <Time iso={u.createdAt} />, optional: true },
  ];
  // Only org admins change users (the server refuses anyone else): others see the list only.
  if (admin)
    columns.push({
      header: "Actions",
      cell: (u) =>
        u.status === "active" ? (
          <Button
            disabled={disable.isPending}
            title="Disables the user's tokens and access keys and ends their sessions"
            onClick={() => disable.mutate({ name: u.name })}
          >
            Disable
          </Button>
        ) : (
          <Button disabled={enable.isPending} onClick={() => enable.mutate({ name: u.name })}>
            Enable
          </Button>
        ),
    });

  return (
    <Section id="users" title="Users">
      <p className="muted">
        Disabling a user disables their tokens and access keys and ends their sessions; enabling
        them again does not bring those back (issue a new token, or enable one under Tokens).
      </p>
      {admin && <NewUserForm />}
      <ErrorNotice error={disable.error} action="disable this user" />
      <ErrorNotice error={enable.error} action="enable this user" />
      <ErrorNotice error={users.error} action="list users" />
      {users.isPending ? (
        <Loading what="users" />
      ) : (
        <Table
          label="Users"
          columns={columns}
          rows={users.data ?? []}
          rowKey={(u) => u.name}
          empty={<p>No users to show. Create one above.</p>}
        />
      )}
    </Section>
  );
}
