import type { ReactNode } from "react";

/** A part of a page: its `<h2>`, its actions beside it, its body. */
export function Section(props: {
  id: string;
  title: string;
  actions?: ReactNode;
  children?: ReactNode;
}) {
  return (
    <section className="section" aria-labelledby={`${props.id}-title`}>
      <header className="section-header">
        <h2 id={`${props.id}-title`}>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}
