import { useQuery } from "@tanstack/react-query";
import { useSession } from "../session.js";
import { useTRPC } from "../trpc.js";

/**
 * Who the signed-in user may create a secret, rotator, hook or automation for: itself, the
 * teams it administers, every team for an org admin (core's decide: team members only read
 * their team's secrets; the server checks it anyway).
 */
export function useOwnerChoices(): string[] {
  const session = useSession();
  const trpc = useTRPC();
  const whoami = useQuery(trpc.user.whoami.queryOptions());
  const allTeams = useQuery({
    ...trpc.team.list.queryOptions(),
    enabled: session.orgRole === "admin",
  });
  const teams =
    session.orgRole === "admin"
      ? (allTeams.data ?? []).map((t) => t.name)
      : (whoami.data?.teams ?? []).filter((t) => t.role === "admin").map((t) => t.team);
  return [session.user, ...teams.filter((t) => t !== session.user)];
}
