import { useId, type ReactNode } from "react";

/** A titled panel of the secret page (an `<h2>` naming a `<section>`). */
export function Section(props: { title: string; wide?: boolean; children: ReactNode }) {
  const id = useId();
  return (
    <section
      className={`panel secret-section${props.wide === true ? " secret-wide" : ""}`}
      aria-labelledby={id}
    >
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </section>
  );
}
