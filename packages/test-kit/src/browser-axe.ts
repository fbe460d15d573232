/// <reference lib="dom" />
/**
 * axe-core run inside a page served with `script-src 'self'`. Its source goes in through
 * `page.evaluate(source)`: Playwright evaluates over the DevTools protocol, which the page's
 * CSP does not govern, whereas `page.addScriptTag` adds an inline <script> the CSP refuses
 * (browser.test.ts shows both).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AxeResults, ImpactValue, RunOptions } from "axe-core";
import type { Page } from "playwright-core";

export type Impact = Exclude<ImpactValue, null>;

const IMPACTS: readonly Impact[] = ["minor", "moderate", "serious", "critical"];

export interface AccessibilityViolation {
  /** The rule, e.g. `image-alt`, `label`, `color-contrast`. */
  id: string;
  impact: Impact;
  help: string;
  /** A CSS selector per offending element (frames and shadow roots joined by ` >>> `). */
  targets: string[];
}

let axeSource: Promise<string> | undefined;
const source = (): Promise<string> =>
  (axeSource ??= readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8"));

/** The page's `window` once axe's source has run in it (no global augmentation to leak). */
type WithAxe = { axe?: { run(context: Document, options: RunOptions): Promise<AxeResults> } };

/**
 * The page's accessibility violations at `minImpact` or above (serious unless told), as axe
 * finds them in the page as it is now (wait for what you want checked to render first).
 */
export async function accessibilityViolations(
  page: Page,
  { minImpact = "serious" }: { minImpact?: Impact } = {},
): Promise<AccessibilityViolation[]> {
  if (!(await page.evaluate(() => (window as WithAxe).axe !== undefined))) {
    await page.evaluate(await source());
  }
  const violations = await page.evaluate(async () => {
    const results = await (window as WithAxe).axe!.run(document, { resultTypes: ["violations"] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? "minor",
      help: v.help,
      targets: v.nodes.map((n) => n.target.flat().join(" >>> ")),
    }));
  });
  const floor = IMPACTS.indexOf(minImpact);
  return violations.filter((v) => IMPACTS.indexOf(v.impact) >= floor);
}
