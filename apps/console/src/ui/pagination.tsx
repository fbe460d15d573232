import { useCallback, useState } from "react";
import { Button } from "./button.js";

/**
 * Cursor paging as the API pages (`cursor` in, `nextCursor` out): the cursors of the pages
 * behind are kept to go back. `reset` starts again at the first page (a new filter).
 */
export function useCursorPages() {
  const [trail, setTrail] = useState<(string | undefined)[]>([undefined]);
  const cursor = trail.at(-1);
  const next = useCallback((nextCursor: string) => setTrail((t) => [...t, nextCursor]), []);
  const previous = useCallback(() => setTrail((t) => (t.length > 1 ? t.slice(0, -1) : t)), []);
  const reset = useCallback(() => setTrail([undefined]), []);
  return { cursor, page: trail.length, hasPrevious: trail.length > 1, next, previous, reset };
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
