/**
 * Building blocks of the rotation and hooks pages (they live here because those pages' files
 * are the ones this work may add): sections, facts, plain fields, paged tables, delete dialogs.
 */
import type { ReactNode, Ref } from "react";
import { Button } from "../../ui/button.js";
import { ConfirmDialog } from "../../ui/confirm-dialog.js";
import { Field } from "../../ui/field.js";
import { Loading } from "../../ui/loading.js";
import { Pagination } from "../../ui/pagination.js";
import { Table, type Column } from "../../ui/table.js";

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

/** A description list of term → value (metadata of a policy, hook, delivery). */
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

/**
 * A labelled text input for names, references, URLs and templates: no autocomplete, no
 * spelling marks. (Never for a value: those have their own write-only fields.)
 */
export function TextField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
  error?: string | null;
  maxLength: number;
  required?: boolean;
  inputMode?: "numeric";
  /** A `<datalist>` of suggestions. */
  list?: string;
  inputRef?: Ref<HTMLInputElement>;
}) {
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      {(control) => (
        <input
          {...control}
          ref={props.inputRef}
          required={props.required}
          maxLength={props.maxLength}
          inputMode={props.inputMode}
          list={props.list}
          autoComplete="off"
          spellCheck={false}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** A labelled select; `options` are values, or [value, text] pairs. */
export function SelectField<T extends string>(props: {
  label: string;
  value: T;
  onChange: (value: T) => void;
  options: readonly (T | readonly [T, string])[];
  hint?: ReactNode;
  selectRef?: Ref<HTMLSelectElement>;
}) {
  return (
    <Field label={props.label} hint={props.hint}>
      {(control) => (
        <select
          {...control}
          ref={props.selectRef}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value as T)}
        >
          {props.options.map((o) => {
            const [value, text] = typeof o === "string" ? [o, o] : o;
            return (
              <option key={value} value={value}>
                {text}
              </option>
            );
          })}
        </select>
      )}
    </Field>
  );
}

/** A form's Cancel and submit buttons, at its end. */
export function FormButtons(props: { submit: string; disabled: boolean; onCancel: () => void }) {
  return (
    <div className="form-actions">
      <span className="spacer" />
      <Button onClick={props.onCancel}>Cancel</Button>
      <Button type="submit" kind="primary" disabled={props.disabled}>
        {props.submit}
      </Button>
    </div>
  );
}

/** One page of a cursor-paged listing: loading, the table (or what to do when empty), paging. */
export function PagedTable<T>(props: {
  label: string;
  what: string;
  columns: Column<T>[];
  query: { isPending: boolean; data?: { items: T[]; nextCursor: string | null } | undefined };
  rowKey: (row: T) => string;
  empty: ReactNode;
  pages: {
    page: number;
    hasPrevious: boolean;
    previous: () => void;
    next: (cursor: string) => void;
  };
}) {
  if (props.query.isPending) return <Loading what={props.what} />;
  return (
    <>
      <Table
        label={props.label}
        columns={props.columns}
        rows={props.query.data?.items ?? []}
        rowKey={props.rowKey}
        empty={props.empty}
      />
      <Pagination
        page={props.pages.page}
        hasPrevious={props.pages.hasPrevious}
        nextCursor={props.query.data?.nextCursor}
        onPrevious={props.pages.previous}
        onNext={props.pages.next}
      />
    </>
  );
}

/** Deleting an owned thing (rotator, hook, automation), confirmed by typing its name. */
export function DeleteDialog(props: {
  kind: string;
  thing: { ref: string; name: string } | null;
  call: { isPending: boolean; error: unknown };
  onCancel: () => void;
  onConfirm: (ref: string) => void;
  children: ReactNode;
}) {
  const { thing } = props;
  return (
    <ConfirmDialog
      open={thing !== null}
      title={`Delete ${props.kind} ${thing?.ref ?? ""}`}
      name={thing?.name ?? ""}
      actionLabel={`Delete ${props.kind}`}
      pending={props.call.isPending}
      error={props.call.error}
      onCancel={props.onCancel}
      onConfirm={() => {
        if (thing !== null) props.onConfirm(thing.ref);
      }}
    >
      {props.children}
    </ConfirmDialog>
  );
}
