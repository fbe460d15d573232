import type { ReactNode } from "react";
import { Loading } from "./loading.js";
import { Pagination } from "./pagination.js";
import { Table, type Column } from "./table.js";

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
