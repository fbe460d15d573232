import { useEffect, type ReactNode } from "react";

/** Sets document.title to "Coffer · <title>": a title never holds a value (SPEC §13). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `Coffer · ${title}`;
  }, [title]);
}

/** A page: its heading (also the document's title), its actions, its body. */
export function Page(props: { title: string; actions?: ReactNode; children?: ReactNode }) {
  useTitle(props.title);
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">{props.title}</h1>
        {props.actions !== undefined && <div className="page-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** The body of a page someone has yet to build. */
export function StubPage(props: { title: string }) {
  return (
    <Page title={props.title}>
      <p className="muted">This page is being built.</p>
    </Page>
  );
}
