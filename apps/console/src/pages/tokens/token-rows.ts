/**
 * The tokens a person sees: token.list's answer (its own; for an org admin also the shared and
 * exchanged ones), and with `everyone` (org admins) each other user's personal tokens too.
 * The API lists one user's tokens per call (token-service.ts), so "everyone's" is one call per
 * user, fetched side by side.
 */
import { useQueries, useQuery } from "@tanstack/react-query";
import { useSession } from "../../session.js";
import { useTRPC } from "../../trpc.js";
import type { CredentialRow } from "./credential-table.js";

export function useTokenRows(everyone: boolean) {
  const trpc = useTRPC();
  const session = useSession();
  const own = useQuery(trpc.token.list.queryOptions());
  const users = useQuery({ ...trpc.user.list.queryOptions(), enabled: everyone });
  const others = useQueries({
    queries: (everyone ? (users.data ?? []) : [])
      .filter((u) => u.name !== session.user)
      .map((u) => trpc.token.list.queryOptions({ user: u.name })),
  });
  const seen = new Set<string>();
  const rows: CredentialRow[] = [];
  for (const row of [own.data ?? [], ...others.map((q) => q.data ?? [])].flat()) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    rows.push(row);
  }
  return {
    rows,
    pending: own.isPending || (everyone && (users.isPending || others.some((q) => q.isPending))),
    error: own.error ?? (everyone ? (users.error ?? others.find((q) => q.error)?.error) : null),
  };
}
