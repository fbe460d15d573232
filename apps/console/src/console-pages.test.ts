/**
 * Every main page of the console at a desktop's 1280 px and a phone's 390 px (SPEC §13): a
 * screenshot kept under artifacts/console (not committed) and no accessibility violation of
 * serious or critical impact (axe, printed when any); one `<h1>` each. Then the keyboard: sign
 * in and open a secret with Tab and Enter only. Data is seeded through the API so that the
 * pages have rows to show.
 */
import {
  accessibilityViolations,
  DESKTOP_WIDTH,
  PHONE_WIDTH,
  saveScreenshot,
  type AccessibilityViolation,
  type Page,
} from "@coffer/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEADLINE_MS,
  expectHeading,
  heading,
  makeUser,
  mainNav,
  secretUrl,
  signIn,
  START_MS,
  startConsole,
  table,
  type ConsoleRig,
} from "./test-console.js";

const NAME = "WANDB_API_KEY";
const WIDTHS = [DESKTOP_WIDTH, PHONE_WIDTH] as const;

/** The signed-in pages: a screenshot's name and the path that opens it. */
const PAGES: readonly { name: string; path: string }[] = [
  { name: "secrets", path: "/secrets" },
  { name: "secret", path: `/secrets/ml/${NAME}` },
  { name: "tokens", path: "/tokens" },
  { name: "users", path: "/users" },
  { name: "audit", path: "/audit" },
  { name: "keys", path: "/keys" },
  { name: "account", path: "/account" },
  { name: "rotation", path: "/rotation" },
  { name: "hooks", path: "/hooks" },
];

let rig: ConsoleRig;
/** One page per width, reused from page to page. */
const pages = new Map<number, Page>();

beforeAll(async () => {
  rig = await startConsole();
  const { admin } = rig;
  await admin.team.create.mutate({ name: "ml" });
  await makeUser(admin, "bob");
  await admin.team.addMember.mutate({ team: "ml", user: "bob" });
  await admin.secret.create.mutate({
    secret: `ml/${NAME}`,
    value: "fake-wandb-key-0001-console-pages",
    description: "W&B key of the ml team",
  });
  await admin.secret.put.mutate({ secret: `ml/${NAME}`, value: "fake-wandb-key-0002" });
  await admin.grant.share.mutate({ resource: `ml/${NAME}`, subject: "bob", level: "read" });
  await admin.secret.create.mutate({ secret: "admin/OPENAI_API_KEY", value: "fake-openai-0001" });
  for (const width of WIDTHS) pages.set(width, await rig.browser.page(width));
}, START_MS);

afterAll(async () => {
  await rig?.close();
});

const violationsText = (found: AccessibilityViolation[]): string =>
  found.map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.targets.join("\n    ")}`).join("\n");

/** Waits until the page has settled: its heading shown and nothing still loading. */
async function settled(page: Page): Promise<void> {
  await heading(page).first().waitFor();
  await expect.poll(() => page.getByText(/^Loading\b/).count(), { timeout: DEADLINE_MS }).toBe(0);
}

/** Screenshot, then axe: no serious or critical violation (listed in the failure when any). */
async function check(page: Page, name: string): Promise<void> {
  await saveScreenshot(page, name);
  const found = await accessibilityViolations(page, { minImpact: "serious" });
  expect(found, `${name} at ${page.viewportSize()?.width} px:\n${violationsText(found)}`).toEqual(
    [],
  );
  expect(await heading(page).count(), "one <h1> per page").toBe(1);
}

describe.each(WIDTHS)("at %i px", (width) => {
  it("the sign-in page", async () => {
    const page = pages.get(width)!;
    await page.goto(`${rig.url}/`);
    await page.getByLabel("Token", { exact: true }).waitFor();
    await check(page, "sign-in");
  });
});

describe.each(WIDTHS)("signed in, at %i px", (width) => {
  beforeAll(async () => {
    // One session for the browser (its pages share the cookie): signed in once, at the first.
    if (width === WIDTHS[0]) await signIn(pages.get(width)!, rig.url, rig.adminToken);
  }, START_MS);

  it.each(PAGES)("$name ($path)", async ({ name, path }) => {
    const page = pages.get(width)!;
    await page.goto(`${rig.url}${path}`);
    await mainNav(page).waitFor({ state: "attached" });
    await settled(page);
    await check(page, name);
  });
});

describe("by keyboard only", () => {
  /** Presses Tab until `target` has the focus (at most `limit` times). */
  async function tabTo(page: Page, target: ReturnType<Page["getByRole"]>, limit = 80) {
    for (let i = 0; i < limit; i++) {
      if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
      await page.keyboard.press("Tab");
    }
    throw new Error(`Tab never reached ${target.toString()}`);
  }

  it("signs in and opens a secret with Tab and Enter", async () => {
    await rig.browser.context.clearCookies();
    const page = pages.get(DESKTOP_WIDTH)!;
    await page.goto(`${rig.url}/`);
    const token = page.getByLabel("Token", { exact: true });
    await token.waitFor();
    await tabTo(page, token);
    await page.keyboard.type(rig.adminToken);
    await page.keyboard.press("Enter");
    await expectHeading(page, "Secrets");

    const link = table(page, "Secrets").getByRole("link", { name: "OPENAI_API_KEY", exact: true });
    await link.waitFor();
    await tabTo(page, link);
    await page.keyboard.press("Enter");
    await expectHeading(page, "OPENAI_API_KEY");
    expect(new URL(page.url()).pathname).toBe(
      new URL(secretUrl(rig.url, "admin", "OPENAI_API_KEY")).pathname,
    );
  });
});
