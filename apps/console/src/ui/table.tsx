import type { ReactNode } from "react";

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  /** Hidden at narrow width (the first column never is). */
  optional?: boolean;
}

/**
 * A labelled table, one `tbody tr` per row; with no rows, `empty` says what to do instead
 * (it is shown in place of the table, so a test counting rows finds none). At narrow width
 * the table scrolls sideways in its wrapper: the wrapper takes focus (so a keyboard can
 * scroll it) and is a group named like the table (so what gets focus has a name; a group, not
 * a region: a landmark named like its page's section would be a second one of that name).
 */
export function Table<T>(props: {
  label: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  empty: ReactNode;
}) {
  if (props.rows.length === 0) return <div className="empty">{props.empty}</div>;
  return (
    <div className="table-wrap" role="group" aria-label={props.label} tabIndex={0}>
      <table aria-label={props.label}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.header} scope="col" className={c.optional ? "optional" : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {props.columns.map((c) => (
                <td key={c.header} className={c.optional ? "optional" : undefined}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
