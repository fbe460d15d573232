import { useCallback, useState } from "react";
import { Button } from "./button.js";

/**
 * Cursor paging as the API pages (`cursor` in, `nextCursor` out): the cursors of the pages
 * behind are kept to go back. A new `filterKey` (another tab, another search) starts again at
 * the first page in the same render, so no call pairs a new filter with an old cursor.
 */
export function useCursorPages(filterKey: string) {
  const [state, setState] = useState<{ key: string; trail: (string | undefined)[] }>({
    key: filterKey,
    trail: [undefined],
  });
  const trail = state.key === filterKey ? state.trail : [undefined];
  const next = useCallback(
    (nextCursor: string) =>
      setState((s) => ({
        key: filterKey,
        trail: [...(s.key === filterKey ? s.trail : [undefined]), nextCursor],
      })),
    [filterKey],
  );
  const previous = useCallback(
    () =>
      setState((s) => ({
        key: filterKey,
        trail: s.key === filterKey && s.trail.length > 1 ? s.trail.slice(0, -1) : [undefined],
      })),
    [filterKey],
  );
  return {
    cursor: trail.at(-1),
    page: trail.length,
    hasPrevious: trail.length > 1,
    next,
    previous,
  };
}

/** "Previous page" / "Next page", with the page number between. */
export function Pagination(props: {
  page: number;
  hasPrevious: boolean;
  nextCursor: string | null | undefined;
  onPrevious: () => void;
  onNext: (cursor: string) => void;
}) {
  const { nextCursor, onNext } = props;
  if (!props.hasPrevious && (nextCursor === null || nextCursor === undefined)) return null;
  return (
    <nav className="pagination" aria-label="Pages">
      <Button disabled={!props.hasPrevious} onClick={props.onPrevious}>
        Previous page
      </Button>
      <span aria-live="polite">Page {props.page}</span>
      <Button
        disabled={nextCursor === null || nextCursor === undefined}
        onClick={() => {
          if (nextCursor !== null && nextCursor !== undefined) onNext(nextCursor);
        }}
      >
        Next page
      </Button>
    </nav>
  );
}
