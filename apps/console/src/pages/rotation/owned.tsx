/**
 * What the rotation and hooks pages share beyond ui/: the URL rule of hooks and webhook
 * rotators, and the org's name for `secret://ORG/…` patterns.
 */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc.js";

/** The URL patterns of a hook and a webhook rotator (core's schemas, copied: the console imports no runtime code from core). */
export const HTTP_URL = /^https?:\/\/\S+$/;
export const HTTP_URL_HINT = "An http:// or https:// URL, no spaces.";

/** The org's name (for `secret://ORG/…` patterns), once whoami answered. */
export function useOrg(): string | undefined {
  const trpc = useTRPC();
  return useQuery(trpc.user.whoami.queryOptions()).data?.org;
}
