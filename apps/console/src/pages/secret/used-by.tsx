/**
 * Who depends on the secret (secret.usedBy: hooks, automations, rotators): the warning shown
 * before disabling or deleting it, which then goes ahead with `acknowledgeUsedBy`.
 */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc.js";
import type { UsedBy } from "./types.js";

export function useUsedBy(secret: string) {
  const trpc = useTRPC();
  return useQuery(trpc.secret.usedBy.queryOptions({ secret }));
}

export const inUse = (view: UsedBy | undefined): boolean =>
  view !== undefined &&
  view.hooks.length + view.automations.length + view.rotators.length + view.others > 0;

const hookVia = { template: "names it in a template", signingSecret: "signs with it" };
const rotatorVia = { adminSecret: "connects with it", signingSecret: "signs with it" };

/** The dependents, one per line, with how each uses the secret. */
export function UsedByList({ view }: { view: UsedBy }) {
  return (
    <ul className="used-by">
      {view.hooks.map((h) => (
        <li key={`hook ${h.ref}`}>
          Hook <strong>{h.ref}</strong> {hookVia[h.via]}
        </li>
      ))}
      {view.automations.map((a) => (
        <li key={`automation ${a.ref}`}>
          Automation <strong>{a.ref}</strong> (fires hook {a.hook})
        </li>
      ))}
      {view.rotators.map((r) => (
        <li key={`rotator ${r.ref}`}>
          Rotator <strong>{r.ref}</strong> {rotatorVia[r.via]}
        </li>
      ))}
      {view.others > 0 && (
        <li>
          {view.others} more you may not see ({view.others === 1 ? "it belongs" : "they belong"} to
          owners whose hooks you cannot list)
        </li>
      )}
    </ul>
  );
}

/** The warning of a disable or delete dialog: nothing when nothing depends on the secret. */
export function UsedByWarning(props: { view: UsedBy | undefined; doing: string }) {
  if (props.view === undefined || !inUse(props.view)) return null;
  return (
    <div className="notice notice-warning">
      <p>
        This secret is in use. {props.doing} it breaks what depends on it; confirming goes ahead
        anyway:
      </p>
      <UsedByList view={props.view} />
    </div>
  );
}
