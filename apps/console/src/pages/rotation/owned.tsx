/**
 * Pieces the rotation and hooks pages share: rotators, hooks and automations are owned like
 * secrets (a user or a team), named `OWNER/NAME`, and changed by whoever manages the owner.
 */
import { useQuery } from "@tanstack/react-query";
import type { Ref } from "react";
import { useSession } from "../../session.js";
import { useTRPC } from "../../trpc.js";
import { SelectField, TextField } from "./parts.js";

/** SECRET_NAME_SOURCE of core, which names rotators, hooks and automations too (copied: the console imports no runtime code from core). */
export const OWNED_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
/** The URL patterns of a hook and a webhook rotator (core's schemas, copied likewise). */
export const HTTP_URL = /^https?:\/\/\S+$/;
export const HTTP_URL_HINT = "An http:// or https:// URL, no spaces.";
export const OWNED_NAME_HINT =
  "Letters, digits, _ and -, starting with a letter or _ (at most 128).";

/**
 * Who the signed-in user may create things for: itself, the teams it administers, every team
 * for an org admin (the same rule as a secret's owner; the server checks it anyway).
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

/** The org's name (for `secret://ORG/…` patterns), once whoami answered. */
export function useOrg(): string | undefined {
  const trpc = useTRPC();
  return useQuery(trpc.user.whoami.queryOptions()).data?.org;
}

/** A select labelled "Owner" over `owners`. */
export function OwnerField(props: {
  owners: readonly string[];
  value: string;
  onChange: (owner: string) => void;
  hint?: string;
}) {
  return (
    <SelectField
      label="Owner"
      hint={props.hint ?? "You, or a team you administer."}
      value={props.value}
      onChange={props.onChange}
      options={props.owners}
    />
  );
}

/** The name of a new rotator, hook or automation, checked as the server checks it. */
export function NameField(props: {
  label: string;
  value: string;
  onChange: (name: string) => void;
  inputRef?: Ref<HTMLInputElement>;
}) {
  return (
    <TextField
      label={props.label}
      required
      maxLength={128}
      error={nameError(props.value)}
      value={props.value}
      onChange={props.onChange}
      {...(props.inputRef === undefined ? {} : { inputRef: props.inputRef })}
    />
  );
}

/** Why `name` is no valid name (null when it is, or is still empty). */
export function nameError(name: string): string | null {
  return name !== "" && !OWNED_NAME.test(name) ? OWNED_NAME_HINT : null;
}
