import type { ReactNode } from "react";

/** A description list of term → value (an account, a policy, a hook, a delivery). */
export function Facts(props: { items: readonly [string, ReactNode][]; label?: string }) {
  return (
    <dl className="facts" aria-label={props.label}>
      {props.items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** "a, b, c", or a dash for none. */
export function listText(items: readonly string[]): ReactNode {
  return items.length === 0 ? <span className="muted">—</span> : items.join(", ");
}
