/// <reference lib="dom" />
/**
 * Times taken on the page's own clock (performance.now(), whose origin is the navigation's
 * start), so that Playwright's round trips to the page do not count. A MutationObserver
 * notes the first moment a condition holds in the DOM; the driver only reads that note back.
 */
import type { Page } from "@coffer/test-kit";

/** The page's notes, kept on `window` (times only: never a value). */
type Marks = { __benchMarks?: Record<string, number> };

const POLL_MS = 20;
const MARK_TIMEOUT_MS = 60_000;

/**
 * On every document this page loads from now on: notes `rows` the first time `selector`
 * matches `count` elements. An init script, so it runs before the page's own scripts (and,
 * going in over the DevTools protocol, is not subject to the page's CSP).
 */
export async function markRowsOnEveryLoad(
  page: Page,
  name: string,
  selector: string,
  count: number,
): Promise<void> {
  await page.addInitScript(
    ({ name, selector, count }) => {
      const w = window as Marks;
      const marks = (w.__benchMarks ??= {});
      const check = (): void => {
        if (marks[name] === undefined && document.querySelectorAll(selector).length >= count) {
          marks[name] = performance.now();
          observer.disconnect();
        }
      };
      const observer = new MutationObserver(check);
      observer.observe(document, { childList: true, subtree: true });
    },
    { name, selector, count },
  );
}

/**
 * In the current document: notes `click` at the first click's event time (same clock) and
 * `shown` once `selector`'s text contains `expected`. The value is compared in the page and
 * never noted.
 */
export async function markClickToText(
  page: Page,
  selector: string,
  expected: string,
): Promise<void> {
  await page.evaluate(
    ({ selector, expected }) => {
      const w = window as Marks;
      const marks: Record<string, number> = {};
      w.__benchMarks = marks;
      document.addEventListener(
        "click",
        (e) => {
          marks["click"] ??= e.timeStamp;
        },
        { capture: true, once: true },
      );
      const observer = new MutationObserver(() => {
        if (document.querySelector(selector)?.textContent?.includes(expected)) {
          marks["shown"] ??= performance.now();
          observer.disconnect();
        }
      });
      observer.observe(document, {
        childList: true,
        subtree: true,
        characterData: true,
        attributes: true,
      });
    },
    { selector, expected },
  );
}

/** Waits (a deadline, not a measure) until the page has noted `name`, and returns the note. */
export async function mark(page: Page, name: string): Promise<number> {
  const deadline = Date.now() + MARK_TIMEOUT_MS;
  for (;;) {
    const at = await page.evaluate((n) => (window as Marks).__benchMarks?.[n], name);
    if (at !== undefined) return at;
    if (Date.now() > deadline) throw new Error(`the page never noted "${name}"`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The navigation's load end on the page's clock (the floor: a page with nothing to do). */
export async function loadEnd(page: Page): Promise<number> {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0] as
      PerformanceNavigationTiming | undefined;
    return nav === undefined ? NaN : nav.loadEventEnd || nav.domComplete;
  });
}
