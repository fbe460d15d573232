/** Whose a new token or access key is: the signed-in user's, or (org admins) shared. */
import { useQuery } from "@tanstack/react-query";
import { useSession } from "../../session.js";
import { useTRPC } from "../../trpc.js";
import { Field } from "../../ui/field.js";

/** `@me` and `@org` cannot be principal names (those start with a letter). */
export const ME = "@me";
const ORG = "@org";

/** The API's `shared` field for a choice: none for the user's own, `{}` for the org's. */
export function sharedFor(choice: string): { shared?: { owner?: string } } {
  if (choice === ME) return {};
  return { shared: choice === ORG ? {} : { owner: choice } };
}

/** Org admins choose an owner; everyone else makes personal ones (no control shown). */
export function OwnerChoice(props: { value: string; onChange: (choice: string) => void }) {
  const session = useSession();
  const trpc = useTRPC();
  const admin = session.orgRole === "admin";
  const teams = useQuery({ ...trpc.team.list.queryOptions(), enabled: admin });
  if (!admin) return null;
  return (
    <Field label="Owner" hint="Shared ones are for automation; they outlive a person's rights.">
      {(control) => (
        <select {...control} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
          <option value={ME}>Me ({session.user})</option>
          <option value={ORG}>The org (shared)</option>
          {(teams.data ?? []).map((t) => (
            <option key={t.name} value={t.name}>
              Team {t.name} (shared)
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
