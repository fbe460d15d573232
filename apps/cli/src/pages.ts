/** Listings that follow `nextCursor`: every page, or the first `limit` items. */
import { UsageError } from "./errors.js";

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The server's largest page. */
const MAX_PAGE = 500;

/**
 * Asks `fetch` for pages until the listing ends or `limit` items are in hand (all of them
 * when `limit` is undefined). Each call gets the page size and, after the first, the cursor.
 */
export async function collectPages<T>(
  fetch: (page: { limit: number; cursor?: string }) => Promise<Page<T>>,
  limit?: number,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const want = limit === undefined ? MAX_PAGE : Math.min(MAX_PAGE, limit - items.length);
    const page = await fetch({ limit: want, ...(cursor !== undefined ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && (limit === undefined || items.length < limit));
  return limit === undefined ? items : items.slice(0, limit);
}

/** `--limit N`: a whole number from 1 to 100000; undefined (everything) without it. */
export function parseLimit(text: string | undefined, form?: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,5}$/.test(text) || Number(text) > 100_000)
    throw new UsageError("--limit takes a whole number from 1 to 100000", form);
  return Number(text);
}
