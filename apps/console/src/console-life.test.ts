/**
 * The whole life of a team secret as a W&B admin lives it, through the console's pages only:
 * sign in with the first-start admin token, make the team and the user, create
 * `ml/WANDB_API_KEY`, reveal it, rotate it, roll it back, share it with bob, who sees it under
 * "Shared with me" and reveals it in his own browser, then schedule its deletion and restore it.
 * The API is used only to check what the page claims (the admin's bearer token, never a cookie).
 */
import type { OpenedBrowser, Page } from "@coffer/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  confirmTyped,
  DEADLINE_MS,
  expectHeading,
  goTo,
  reveal,
  rowsOf,
  rowWith,
  signIn,
  START_MS,
  startConsole,
  table,
  textOf,
  type ConsoleRig,
} from "./test-console.js";

const TEAM = "ml";
const USER = "bob";
const NAME = "WANDB_API_KEY";
const SECRET = `${TEAM}/${NAME}`;
const FIRST = "fake-wandb-key-0001-console-life";
const SECOND = "fake-wandb-key-0002-console-life";

let rig: ConsoleRig;
let page: Page;
/** bob's first token, shown once by the Users and teams page when the admin made him. */
let bobToken = "";
let bobBrowser: OpenedBrowser;

beforeAll(async () => {
  rig = await startConsole();
  page = await rig.browser.page();
}, START_MS);

afterAll(async () => {
  await rig?.close();
});

/** The secret's metadata (`<dl>`) as the page shows it. */
const metadata = (p: Page) => p.getByRole("main").locator("dl").first();

/** The `<dd>` after the metadata's `<dt>` reading `term`, any case ("" when none). */
async function metaValue(p: Page, term: string): Promise<string> {
  return metadata(p).evaluate((dl, wanted) => {
    const dt = Array.from(dl.querySelectorAll("dt")).find(
      (d) => d.textContent?.trim().toLowerCase() === wanted.toLowerCase(),
    );
    const dd = dt?.nextElementSibling;
    return dd?.tagName === "DD" ? (dd.textContent ?? "").trim() : "";
  }, term);
}

/** The version number in the Versions row whose stages include `stage` ("" when none). */
async function versionAt(p: Page, stage: string): Promise<string> {
  const row = (await rowsOf(p, "Versions")).find((cells) =>
    cells.slice(1).some((cell) => cell.toLowerCase().includes(stage)),
  );
  return row?.[0]?.replace(/^v/i, "") ?? "";
}

/**
 * Opens the secret's page unless the page is on it already (each step starts from there; the
 * create step asserts that the console itself goes there).
 */
async function onSecretPage(p: Page): Promise<void> {
  if (new URL(p.url()).pathname !== `/secrets/${TEAM}/${NAME}`) {
    await p.goto(`${rig.url}/secrets/${TEAM}/${NAME}`);
  }
  await expectHeading(p, NAME);
}

/** What the API says the secret is now (to check the page's claims against). */
const describeSecret = () => rig.admin.secret.describe.query({ secret: SECRET });

describe("the life of a team secret, through the console", () => {
  it("signs in with the first-start admin token", async () => {
    await signIn(page, rig.url, rig.adminToken);
    await expectHeading(page, "Secrets");
  });

  // Made through the Users and teams page (contract: "Team name" / "Create team", "User name" /
  // "Create user", bob's first token shown once in output "New token").
  it("makes the team ml and the user bob on the Users and teams page", async () => {
    await goTo(page, "Users and teams");
    await page.getByLabel("Team name", { exact: true }).fill(TEAM);
    await page.getByRole("button", { name: "Create team", exact: true }).click();
    await rowWith(page, "Teams", TEAM).first().waitFor();

    const newUser = page.getByRole("button", { name: "New user", exact: true });
    if ((await newUser.count()) > 0) await newUser.click();
    await page.getByLabel("User name", { exact: true }).fill(USER);
    await page.getByRole("button", { name: "Create user", exact: true }).click();
    const shown = page.getByRole("status", { name: "New token", exact: true });
    await expect.poll(() => textOf(shown), { timeout: DEADLINE_MS }).toMatch(/cft_\w+/);
    bobToken = /cft_\w+/.exec(await textOf(shown))![0];
    await rowWith(page, "Users", USER).first().waitFor();

    const teams = await rig.admin.team.list.query();
    expect(teams.map((t) => t.name)).toContain(TEAM);
    const users = await rig.admin.user.list.query();
    expect(users.map((u) => u.name)).toContain(USER);
  });

  it("creates the team secret ml/WANDB_API_KEY and lands on its page", async () => {
    await goTo(page, "Secrets");
    await page.getByRole("button", { name: "New secret", exact: true }).click();
    await page.getByLabel("Owner", { exact: true }).selectOption(TEAM);
    await page.getByLabel("Name", { exact: true }).fill(NAME);
    await page.getByLabel("Description", { exact: true }).fill("W&B key of the ml team");
    await page.getByLabel("Value", { exact: true }).fill(FIRST);
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await expectHeading(page, NAME);
    expect(new URL(page.url()).pathname).toBe(`/secrets/${TEAM}/${NAME}`);
    expect((await describeSecret()).currentVersion).toBe(1);
  });

  it("reveals it", async () => {
    await onSecretPage(page);
    await reveal(page, FIRST);
    await page.getByRole("button", { name: "Hide", exact: true }).click();
  });

  it("saves a new version (a rotation): version 2 is current", async () => {
    await onSecretPage(page);
    await page.getByLabel("New value", { exact: true }).fill(SECOND);
    await page.getByRole("button", { name: "Save version", exact: true }).click();
    await expect.poll(() => versionAt(page, "current"), { timeout: DEADLINE_MS }).toBe("2");
    expect(await versionAt(page, "previous")).toBe("1");
    await expect.poll(() => metaValue(page, "Current version"), { timeout: DEADLINE_MS }).toBe("2");
    expect((await describeSecret()).currentVersion).toBe(2);
    await reveal(page, SECOND);
    await page.getByRole("button", { name: "Hide", exact: true }).click();
  });

  it("rolls back: version 1 is current again", async () => {
    await onSecretPage(page);
    await page.getByRole("button", { name: "Roll back", exact: true }).click();
    await expect.poll(() => versionAt(page, "current"), { timeout: DEADLINE_MS }).toBe("1");
    await expect.poll(() => metaValue(page, "Current version"), { timeout: DEADLINE_MS }).toBe("1");
    expect((await describeSecret()).currentVersion).toBe(1);
    await reveal(page, FIRST);
    await page.getByRole("button", { name: "Hide", exact: true }).click();
  });

  it("shares it with bob at read", async () => {
    await onSecretPage(page);
    await page.getByLabel("Share with", { exact: true }).fill(USER);
    await page.getByLabel("Level", { exact: true }).selectOption("read");
    await page.getByRole("button", { name: "Share", exact: true }).click();
    await expect
      .poll(async () => (await rowsOf(page, "Access")).find((cells) => cells.includes(USER)), {
        timeout: DEADLINE_MS,
      })
      .toContain("read");
    const grants = await rig.admin.grant.list.query({ direction: "byMe" });
    expect(grants).toEqual([
      expect.objectContaining({
        subject: USER,
        resource: `secret://default/${SECRET}`,
        level: "read",
      }),
    ]);
  });

  it("bob, in his own browser, finds it under Shared with me and reveals it", async () => {
    bobBrowser = await rig.fresh();
    const bob = await bobBrowser.page();
    await signIn(bob, rig.url, bobToken);
    await expectHeading(bob, "Secrets");
    await bob.getByRole("button", { name: "Shared with me", exact: true }).click();
    const link = table(bob, "Secrets").getByRole("link", { name: NAME, exact: true });
    await link.click();
    await expectHeading(bob, NAME);
    expect(new URL(bob.url()).pathname).toBe(`/secrets/${TEAM}/${NAME}`);
    await reveal(bob, FIRST);
    await bob.close();
  });

  it("schedules its deletion (recovery window 7, typed confirmation): pending, with its date", async () => {
    await onSecretPage(page);
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Recovery window (days)").fill("7");
    // The dialog names what to type (the secret's name; its full name would do as well).
    expect([NAME, SECRET]).toContain(await confirmTyped(page, "Schedule deletion"));

    await page.getByRole("button", { name: "Restore", exact: true }).waitFor();
    const meta = await describeSecret();
    expect(meta.status).toBe("pending_deletion");
    expect(meta.deletionDate).not.toBeNull();
    const daysAhead = (Date.parse(meta.deletionDate!) - Date.now()) / 86_400_000;
    expect(Math.round(daysAhead)).toBe(7);
    await expect
      .poll(() => metaValue(page, "Status"), { timeout: DEADLINE_MS })
      .toMatch(/pending/i);
    // The date, as a <time datetime> or written out: its calendar day is there either way.
    await expect
      .poll(() => showsDay(page, meta.deletionDate!), { timeout: DEADLINE_MS })
      .toBe(true);
  });

  it("restores it", async () => {
    await page.getByRole("button", { name: "Restore", exact: true }).click();
    await page.getByRole("button", { name: "Delete", exact: true }).waitFor();
    expect(await page.getByRole("button", { name: "Restore", exact: true }).count()).toBe(0);
    const meta = await describeSecret();
    expect(meta.status).toBe("enabled");
    expect(meta.deletionDate).toBeNull();
    await reveal(page, FIRST);
  });
});

/** Whether the secret's metadata shows the day of `iso` (a <time datetime>, ISO or local). */
async function showsDay(p: Page, iso: string): Promise<boolean> {
  return metadata(p).evaluate((dl, when) => {
    const day = new Date(when);
    const sameDay = (other: Date) =>
      other.getFullYear() === day.getFullYear() &&
      other.getMonth() === day.getMonth() &&
      other.getDate() === day.getDate();
    for (const time of Array.from(dl.querySelectorAll("time"))) {
      const at = new Date(time.dateTime);
      if (!Number.isNaN(at.getTime()) && sameDay(at)) return true;
    }
    const text = dl.textContent ?? "";
    const forms = [
      when.slice(0, 10),
      day.toLocaleDateString(),
      new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }).format(day),
      new Intl.DateTimeFormat(undefined, { dateStyle: "long" }).format(day),
    ];
    return forms.some((f) => text.includes(f));
  }, iso);
}
