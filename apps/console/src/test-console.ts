/**
 * What the console's Playwright suites (console-*.test.ts) share: the built server
 * (`apps/server/dist/main.js`, which serves this package's dist at `/`) on PGlite in a temp data
 * directory, headless Chromium from the test kit, the API as the admin (seeding and checking,
 * never through the page), signing in through the page, and waits on what the page shows.
 * Everything on a page is found by role and accessible name (CONSOLE-CONTRACT.md), never by
 * CSS class. Deadlines are generous and nothing measures a duration: the machine is busy.
 */
import { fileURLToPath } from "node:url";
import { openBrowser, spawnCoffer, tempDir, type OpenedBrowser, type Page } from "@coffer/test-kit";
import type { AppRouter } from "@coffer/server";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { Locator } from "playwright-core";
import { expect } from "vitest";

/** How long a page may take to show what a step waits for. */
export const DEADLINE_MS = 60_000;
/** For beforeAll: a server's first start (migrations) and Chromium's launch, both slow here. */
export const START_MS = 300_000;

/**
 * The server's built main.js, through the console's own dependency on @coffer/server (its
 * exports name only `.`, so the file is reached by its place in node_modules).
 */
const SERVER_MAIN = fileURLToPath(
  new URL("../node_modules/@coffer/server/dist/main.js", import.meta.url),
);

export type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

/** The API as the holder of `token` (a bearer header; never a cookie, never a URL). */
export function api(url: string, token: string): Api {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
  });
}

export interface ConsoleRig {
  url: string;
  /** The first start's admin token (user `admin`). */
  adminToken: string;
  admin: Api;
  /** One Chromium per test file; `fresh()` opens another for a second person or session. */
  browser: OpenedBrowser;
  /** Another Chromium with an empty profile (no cookie of the first), closed with the rig. */
  fresh(): Promise<OpenedBrowser>;
  close(): Promise<void>;
}

/** One server and one browser for a test file (call in beforeAll with START_MS). */
export async function startConsole(): Promise<ConsoleRig> {
  const data = await tempDir("coffer-console-test-");
  const opened: OpenedBrowser[] = [];
  try {
    const server = await spawnCoffer(SERVER_MAIN, {
      dataDir: data.dir,
      logLevel: "warn",
      timeoutMs: START_MS,
    });
    const close = async () => {
      for (const b of opened.reverse()) await b.close();
      await server.stop();
      await data.remove();
    };
    try {
      const browser = await openBrowser({ timeoutMs: DEADLINE_MS });
      opened.push(browser);
      return {
        url: server.url,
        adminToken: server.adminToken,
        admin: api(server.url, server.adminToken),
        browser,
        async fresh() {
          const another = await openBrowser({ timeoutMs: DEADLINE_MS });
          opened.push(another);
          return another;
        },
        close,
      };
    } catch (error) {
      await close();
      throw error;
    }
  } catch (error) {
    await data.remove();
    throw error;
  }
}

/** A user (and its first token, shown once by user.create), made by the admin via the API. */
export async function makeUser(admin: Api, name: string): Promise<string> {
  const created = await admin.user.create.mutate({ name });
  return created.token;
}

/**
 * The main navigation: the side nav, folded (hidden) behind "Menu" at phone width, so found
 * hidden or not.
 */
export const mainNav = (page: Page): Locator =>
  page.getByRole("navigation", { name: "Main", includeHidden: true });

/** Follows a link of the main navigation, unfolding the menu first when it is folded. */
export async function goTo(page: Page, link: string): Promise<void> {
  const target = mainNav(page).getByRole("link", { name: link, exact: true, includeHidden: true });
  await target.waitFor({ state: "attached" });
  if (!(await target.isVisible())) await page.getByRole("button", { name: "Menu" }).click();
  await target.click();
  await heading(page).waitFor();
}

/** The page's one `<h1>`. */
export const heading = (page: Page): Locator => page.getByRole("heading", { level: 1 });

/** Waits until the page's `<h1>` reads `text`. */
export async function expectHeading(page: Page, text: string): Promise<void> {
  await expect
    .poll(async () => (await heading(page).allTextContents()).join(" ").trim(), {
      timeout: DEADLINE_MS,
    })
    .toBe(text);
}

/** Signs in through the page: the token typed into "Token", then "Sign in"; waits for the nav. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel("Token", { exact: true }).fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await mainNav(page).waitFor({ state: "attached" });
}

/** The sign-in form is what the page shows (signed out, or the session ended). */
export async function expectSignInPage(page: Page): Promise<void> {
  await page.getByLabel("Token", { exact: true }).waitFor();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
}

/** A labelled table (`<table aria-label=…>`). */
export const table = (page: Page, label: string): Locator =>
  page.getByRole("table", { name: label, exact: true });

/** The body rows of a labelled table that mention `text`. */
export const rowWith = (page: Page, label: string, text: string | RegExp): Locator =>
  table(page, label).locator("tbody tr").filter({ hasText: text });

/** The text of each body cell of a labelled table, row by row (none while it is not there). */
export async function rowsOf(page: Page, label: string): Promise<string[][]> {
  const rows = table(page, label).locator("tbody tr");
  const out: string[][] = [];
  for (const row of await rows.all()) {
    out.push((await row.locator("td").allTextContents()).map((t) => t.trim()));
  }
  return out;
}

/** All the text of what `locator` matches now (nothing when it matches nothing), no waiting. */
export async function textOf(locator: Locator): Promise<string> {
  return (await locator.allTextContents()).join("\n");
}

/** A secret's page, from the secrets list or directly. */
export const secretUrl = (url: string, owner: string, name: string): string =>
  `${url}/secrets/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;

/** `<output aria-label="Value">`: the revealed value (an output's role is status). */
export const valueOutput = (page: Page): Locator =>
  page.getByRole("status", { name: "Value", exact: true });

/** Clicks Reveal and waits until the value shows. */
export async function reveal(page: Page, value: string): Promise<void> {
  await page.getByRole("button", { name: "Reveal", exact: true }).click();
  await expect.poll(() => textOf(valueOutput(page)), { timeout: DEADLINE_MS }).toBe(value);
}

/**
 * Confirms a destructive action in its dialog: the confirm button is disabled until the name
 * asked for ("Type NAME to confirm") is typed. Returns the name the dialog asked for.
 */
export async function confirmTyped(page: Page, actionLabel: string): Promise<string> {
  const dialog = page.getByRole("dialog");
  const typed = dialog.getByLabel(/^Type .+ to confirm$/);
  const action = dialog.getByRole("button", { name: actionLabel, exact: true });
  await typed.waitFor();
  expect(await action.isDisabled()).toBe(true);
  const label = await typed.evaluate(
    (input) => (input as HTMLInputElement).labels?.[0]?.textContent ?? "",
  );
  const name = /^Type (.+) to confirm$/.exec(label.trim())?.[1] ?? "";
  await typed.fill(name);
  await action.click();
  await dialog.waitFor({ state: "hidden" });
  return name;
}

/** How many `action` events the audit log holds for `secret` (as the admin sees it). */
export async function auditCount(admin: Api, secret: string, action: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await admin.audit.list.query({
      secret,
      action,
      limit: 500,
      ...(cursor === undefined ? {} : { cursor }),
    });
    count += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return count;
}
