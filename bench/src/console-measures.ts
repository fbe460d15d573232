/**
 * What the console benchmark measures in the browser (console.bench.ts runs them): each
 * function navigates, waits on the page's own notes (console-marks.ts) and returns one time
 * per run after the warm-up runs, in ms on the page's clock.
 */
import type { Page } from "@coffer/test-kit";
import { loadEnd, mark, markClickToText, markRowsOnEveryLoad } from "./console-marks.js";

export const WARMUP = 2;
export const ROWS = 100;
const ROW_SELECTOR = 'table[aria-label="Secrets"] tbody tr';
const VALUE_SELECTOR = 'output[aria-label="Value"]';

export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/`);
  const field = page.getByLabel("Token");
  await field.fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await field.waitFor({ state: "detached" });
}

/** (a): navigation start → the 100th row in the DOM, per run. */
export async function listTimes(page: Page, url: string, runs: number): Promise<number[]> {
  await markRowsOnEveryLoad(page, "rows", ROW_SELECTOR, ROWS);
  const out: number[] = [];
  for (let run = 0; run < WARMUP + runs; run++) {
    await page.goto(`${url}/secrets`);
    const at = await mark(page, "rows");
    if (run >= WARMUP) out.push(at);
  }
  return out;
}

/** (b): the click on Reveal → the value in its output, per run (a new page load each time). */
export async function revealTimes(
  page: Page,
  url: string,
  runs: number,
  /** The secret of each run: its name (under the admin) and the value it must show. */
  secret: (run: number) => { name: string; value: string },
): Promise<number[]> {
  const out: number[] = [];
  for (let run = 0; run < WARMUP + runs; run++) {
    const { name, value } = secret(run);
    await page.goto(`${url}/secrets/admin/${name}`);
    const reveal = page.getByRole("button", { name: "Reveal" });
    await reveal.waitFor();
    await markClickToText(page, VALUE_SELECTOR, value);
    await reveal.click();
    const shown = await mark(page, "shown");
    const clicked = await mark(page, "click");
    if (run >= WARMUP) out.push(shown - clicked);
  }
  return out;
}

/** The floor: `/healthz` loaded in the same browser, navigation start → load end. */
export async function floorTimes(page: Page, url: string, runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let run = 0; run < WARMUP + runs; run++) {
    await page.goto(`${url}/healthz`);
    const at = await loadEnd(page);
    if (run >= WARMUP) out.push(at);
  }
  return out;
}
