import { useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { useTRPC } from "../../trpc.js";

/**
 * Refetches what a change to a secret may have changed: its metadata, versions and uses, the
 * secrets list, its grants and its activity (every change writes an audit event).
 */
export function useRefreshSecret(): () => Promise<void> {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useCallback(async () => {
    await Promise.all(
      [trpc.secret.pathKey(), trpc.grant.pathKey(), trpc.audit.pathKey()].map((queryKey) =>
        queryClient.invalidateQueries({ queryKey }),
      ),
    );
  }, [trpc, queryClient]);
}
