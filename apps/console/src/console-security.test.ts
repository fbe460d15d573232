/**
 * The console's security rules (SPEC §13), each asserted in headless Chromium against the real
 * server: the session cookie's flags, values kept out of the DOM, URLs, history and storage, one
 * audit event per reveal, the CSP, the same-origin rule for cookie calls, tokens shown once,
 * sessions that end (a disabled user, sign out, sign out everywhere). Secrets are seeded through
 * the API; everything asserted about the page is done through the page.
 */
import { createServer } from "node:http";
import { listen, storageDump, visitedUrls, type OpenedBrowser, type Page } from "@coffer/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  auditCount,
  DEADLINE_MS,
  expectHeading,
  expectSignInPage,
  goTo,
  makeUser,
  reveal,
  secretUrl,
  signIn,
  START_MS,
  startConsole,
  textOf,
  valueOutput,
  type ConsoleRig,
} from "./test-console.js";

const SECRET = "OPENAI_API_KEY";
const VALUE = "fake-openai-key-0001-console-security";
/** A second secret, for the generated new version (its value is read back through the API). */
const GENERATED = "GENERATED_KEY";
/** The auto-hide is 30 s; wait for it with room to spare, never asserting when it came. */
const AUTO_HIDE_DEADLINE_MS = 180_000;

let rig: ConsoleRig;
/** The admin's page (signed in once, reused). */
let page: Page;
/** Every URL the admin's page asked for or showed (pushState included). */
let urls: string[];
/** A second Chromium (its own cookies): bob, or the admin's second session; opened once. */
let second: OpenedBrowser | undefined;

/** The second browser, with no cookie left from its last use. */
async function secondBrowser(): Promise<OpenedBrowser> {
  second ??= await rig.fresh();
  await second.context.clearCookies();
  return second;
}

beforeAll(async () => {
  rig = await startConsole();
  await rig.admin.secret.create.mutate({ secret: `admin/${SECRET}`, value: VALUE });
  await rig.admin.secret.create.mutate({
    secret: `admin/${GENERATED}`,
    value: "fake-generated-seed-0001",
  });
  page = await rig.browser.page();
  urls = visitedUrls(page);
  await signIn(page, rig.url, rig.adminToken);
}, START_MS);

afterAll(async () => {
  await rig?.close();
});

/** The browser's storage (web, IndexedDB, Cache Storage, cookies, URL, history, title) and URLs. */
async function outsideDom(p: Page, seen: string[]): Promise<string> {
  const decoded = seen.map((u) => {
    try {
      return decodeURIComponent(u);
    } catch {
      return u;
    }
  });
  return [await storageDump(p), ...seen, ...decoded].join("\n");
}

/** The page's HTML as well. */
const everywhere = async (p: Page, seen: string[]): Promise<string> =>
  `${await p.content()}\n${await outsideDom(p, seen)}`;

async function openSecret(p: Page, name: string): Promise<void> {
  await p.goto(secretUrl(rig.url, "admin", name));
  await expectHeading(p, name);
  await p.getByRole("button", { name: "Reveal", exact: true }).waitFor();
}

/** Waits until `needle` is no longer in the page's HTML. */
async function goneFromDom(p: Page, needle: string, timeout = DEADLINE_MS): Promise<void> {
  await expect
    .poll(async () => (await p.content()).includes(needle), { timeout, interval: 500 })
    .toBe(false);
}

describe("the session cookie", () => {
  it("is HttpOnly, SameSite=Strict, path /, holds no token, and page scripts cannot read it", async () => {
    const cookies = await rig.browser.context.cookies(rig.url);
    const session = cookies.find((c) => c.name === "coffer_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    for (const cookie of cookies) {
      expect(cookie.value).not.toContain(rig.adminToken);
      expect(cookie.value).not.toMatch(/cft_/);
    }
    const visible = await page.evaluate(() => document.cookie);
    expect(visible).not.toContain("coffer_session");
    expect(visible).not.toContain(session!.value);
  });
});

describe("a revealed value", () => {
  it(
    "is in the DOM only between Reveal and Hide, and goes by itself after 30 s",
    async () => {
      await openSecret(page, SECRET);
      expect(await page.content()).not.toContain(VALUE);
      await reveal(page, VALUE);
      await page.getByRole("button", { name: "Hide", exact: true }).click();
      await goneFromDom(page, VALUE);
      expect(await textOf(valueOutput(page))).toBe("");

      // Without Hide: gone again on its own (a deadline well past the 30 s, no duration asserted).
      await reveal(page, VALUE);
      await goneFromDom(page, VALUE, AUTO_HIDE_DEADLINE_MS);
    },
    AUTO_HIDE_DEADLINE_MS + START_MS,
  );

  it("writes one secret.reveal audit event per click on Reveal", async () => {
    const clicks = 3;
    const before = await auditCount(rig.admin, `admin/${SECRET}`, "secret.reveal");
    await openSecret(page, SECRET);
    for (let i = 0; i < clicks; i++) {
      await reveal(page, VALUE);
      await page.getByRole("button", { name: "Hide", exact: true }).click();
      await goneFromDom(page, VALUE);
    }
    // Each reveal's event is written in the reveal's own transaction: all there once shown.
    expect(await auditCount(rig.admin, `admin/${SECRET}`, "secret.reveal")).toBe(before + clicks);
  });

  it("enters no URL, history entry, title or browser storage: reveal, copy, Generate", async () => {
    await rig.browser.context.grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: rig.url,
    });
    await openSecret(page, SECRET);
    await reveal(page, VALUE);
    // On the page now, and nowhere else.
    expect(await outsideDom(page, urls)).not.toContain(VALUE);
    await page.getByRole("button", { name: "Hide", exact: true }).click();
    await goneFromDom(page, VALUE);

    // Copy reveals through the same audited call, straight to the clipboard, never on the page.
    const reveals = await auditCount(rig.admin, `admin/${SECRET}`, "secret.reveal");
    await page.getByRole("button", { name: "Copy", exact: true }).click();
    await expect
      .poll(() => auditCount(rig.admin, `admin/${SECRET}`, "secret.reveal"), {
        timeout: DEADLINE_MS,
      })
      .toBe(reveals + 1);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(VALUE);
    expect(await everywhere(page, urls)).not.toContain(VALUE);

    // A new version with Generate: the page never shows what it generated back in a URL/storage.
    await openSecret(page, GENERATED);
    await page.getByRole("button", { name: "Generate", exact: true }).click();
    await page.getByRole("button", { name: "Save version", exact: true }).click();
    await expect
      .poll(
        async () =>
          (await rig.admin.secret.describe.query({ secret: `admin/${GENERATED}` })).currentVersion,
        {
          timeout: DEADLINE_MS,
        },
      )
      .toBe(2);
    const generated = await rig.admin.secret.reveal.mutate({ secret: `admin/${GENERATED}` });
    expect(generated.value).not.toBe("fake-generated-seed-0001");
    const seen = await everywhere(page, urls);
    expect(seen).not.toContain(generated.value);
    expect(seen).not.toContain(VALUE);
    expect(seen).not.toContain(rig.adminToken);
    expect(await page.title()).not.toContain(generated.value);
  });
});

describe("the page's defences", () => {
  it("sends the CSP with the page, and an inline script injected into the live page never runs", async () => {
    const response = await page.goto(`${rig.url}/secrets`);
    const csp = response?.headers()["content-security-policy"] ?? "";
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    await expectHeading(page, "Secrets");

    const outcome = await page.evaluate(
      () =>
        new Promise<{ directive: string; ran: boolean }>((resolve) => {
          document.addEventListener(
            "securitypolicyviolation",
            (e) =>
              // The script would have run synchronously on insertion: by now it has or never will.
              resolve({
                directive: e.violatedDirective,
                ran: (window as { injectedRan?: boolean }).injectedRan === true,
              }),
            { once: true },
          );
          const script = document.createElement("script");
          script.textContent = "window.injectedRan = true;";
          document.body.appendChild(script);
        }),
    );
    expect(outcome.directive).toMatch(/^script-src/);
    expect(outcome.ran).toBe(false);
    expect(await page.evaluate(() => (window as { injectedRan?: boolean }).injectedRan)).toBe(
      undefined,
    );
  });

  it("refuses POSTs that another origin's page makes with the session cookie", async () => {
    const team = "evil-team";
    const target = `${rig.url}/trpc/team.create`;
    // Another port of 127.0.0.1: the same site, so the browser sends the SameSite=Strict cookie;
    // only the server's same-origin rule stands between this page and the admin's session. A
    // page of another origin can send only "simple" bodies without a preflight: JSON as
    // text/plain, and a form (multipart), which tRPC reads as a mutation's input.
    const attacker = await listen(
      createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(`<!doctype html><html lang="en"><head><title>Attacker</title></head><body>
<script>
const url = ${JSON.stringify(target)};
const form = new FormData();
form.append("name", ${JSON.stringify(team)});
const send = (body) => fetch(url, { method: "POST", mode: "no-cors", credentials: "include", body });
Promise.allSettled([send(JSON.stringify({ name: ${JSON.stringify(team)} })), send(form)])
  .then(() => { document.body.dataset.sent = "yes"; });
</script></body></html>`);
      }),
    );
    const evil = await rig.browser.page();
    const answers: { type: string; status: number }[] = [];
    evil.on("response", (r) => {
      if (r.url() !== target) return;
      const type = r.request().headers()["content-type"] ?? "";
      answers.push({ type: type.split(";")[0]!, status: r.status() });
    });
    try {
      await evil.goto(attacker.url);
      await evil.locator("body[data-sent]").waitFor({ state: "attached" });
      await expect.poll(() => answers.length, { timeout: DEADLINE_MS }).toBe(2);
    } finally {
      await evil.close();
      await attacker.close();
    }
    // The form reaches authentication, which refuses the cookie for its origin: 403 (without the
    // cookie it would be a 401, so the browser did send it). The JSON one is refused as well.
    expect(answers.find((a) => a.type === "multipart/form-data")?.status).toBe(403);
    const json = answers.find((a) => a.type === "text/plain");
    expect(json?.status).toBeGreaterThanOrEqual(400);
    const teams = await rig.admin.team.list.query();
    expect(teams.map((t) => t.name)).not.toContain(team);
  });
});

describe("tokens", () => {
  it("shows a new token once, never again, and it works", async () => {
    const tokenPage = await rig.browser.page();
    const seen = visitedUrls(tokenPage);
    try {
      await tokenPage.goto(`${rig.url}/secrets`);
      await goTo(tokenPage, "Tokens");
      await tokenPage.getByLabel("Token name", { exact: true }).fill("console-test-token");
      await tokenPage.getByLabel("Expires in (days)").first().fill("30");
      await tokenPage.getByRole("button", { name: "Create token", exact: true }).click();
      const shown = tokenPage.getByRole("status", { name: "New token", exact: true });
      await expect.poll(() => textOf(shown), { timeout: DEADLINE_MS }).toMatch(/cft_\w+/);
      const token = /cft_\w+/.exec(await textOf(shown))![0];

      await tokenPage.getByRole("button", { name: "Done", exact: true }).click();
      await goneFromDom(tokenPage, token);
      await tokenPage.reload();
      await goTo(tokenPage, "Secrets");
      await goTo(tokenPage, "Tokens");
      await tokenPage.getByRole("table", { name: "Tokens", exact: true }).waitFor();
      expect(await everywhere(tokenPage, seen)).not.toContain(token);
      expect(await everywhere(page, urls)).not.toContain(token);

      const whoami = await api(rig.url, token).user.whoami.query();
      expect(whoami.name).toBe("admin");
    } finally {
      await tokenPage.close();
    }
  });
});

describe("sessions that end", () => {
  it("ends a disabled user's session: the next navigation shows sign-in, saying so", async () => {
    const bobToken = await makeUser(rig.admin, "bob");
    const bob = await (await secondBrowser()).page();
    await signIn(bob, rig.url, bobToken);
    await expectHeading(bob, "Secrets");

    await rig.admin.user.disable.mutate({ name: "bob" });
    // A page bob has not opened yet: its data is fetched now, with the ended session.
    await goTo(bob, "Tokens");
    await expectSignInPage(bob);
    await expect
      .poll(() => textOf(bob.getByRole("status")), { timeout: DEADLINE_MS })
      .toMatch(/session ended/i);
    await bob.close();
  });

  it("signs out: the session is over on the server, not only its cookie gone", async () => {
    const other = await secondBrowser();
    const signedIn = await other.page();
    await signIn(signedIn, rig.url, rig.adminToken);
    const cookie = (await other.context.cookies(rig.url)).find((c) => c.name === "coffer_session");
    expect(cookie).toBeDefined();
    await signedIn.getByRole("button", { name: "Sign out", exact: true }).click();
    await expectSignInPage(signedIn);
    await signedIn.reload();
    await expectSignInPage(signedIn);
    // The same cookie, sent again from this origin, opens nothing.
    const replay = await fetch(`${rig.url}/trpc/session.current`, {
      headers: { cookie: `coffer_session=${cookie!.value}`, origin: rig.url },
    });
    expect(replay.status).toBe(401);
    await signedIn.close();
  });

  it("signs out everywhere: another browser's session of the same user ends too", async () => {
    const elsewhere = await (await secondBrowser()).page();
    await signIn(elsewhere, rig.url, rig.adminToken);
    // The admin's first page (its own browser) is signed in as well.
    await page.goto(`${rig.url}/secrets`);
    await expectHeading(page, "Secrets");

    await goTo(elsewhere, "Account");
    await elsewhere.getByRole("button", { name: "Sign out everywhere", exact: true }).click();
    await expectSignInPage(elsewhere);

    // A reload with the ended session's cookie says why sign-in is back.
    await page.reload();
    await expectSignInPage(page);
    await expect
      .poll(() => textOf(page.getByRole("status")), { timeout: DEADLINE_MS })
      .toMatch(/session ended/i);
    await elsewhere.close();
  });
});
