/// <reference lib="dom" />
/**
 * The browser kit against a tiny page served with the console's CSP (`script-src 'self'`):
 * Chromium opens, the CSP holds (inline script refused, a same-origin file runs), axe runs in
 * spite of it, the storage dump finds what the page stored, screenshots land in artifacts/.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accessibilityViolations,
  listen,
  openBrowser,
  PHONE_WIDTH,
  repoRoot,
  saveScreenshot,
  storageDump,
  visitedUrls,
  type Listening,
  type OpenedBrowser,
} from "./index.js";

const CSP = "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'";
const LOCAL_VALUE = "fake-local-value-7f3a";
const IDB_VALUE = "fake-idb-value-91c2";
/** HttpOnly and scoped to /app.js: document.cookie cannot see it, context.cookies() can. */
const COOKIE = "kit-session=fake-httponly-cookie-55; HttpOnly; SameSite=Strict; Path=/app.js";

/** Runs only if the CSP lets same-origin files run: marks the page, writes both storages. */
const APP_JS = `
document.body.dataset.selfScript = "ran";
localStorage.setItem("kit-test", ${JSON.stringify(LOCAL_VALUE)});
const open = indexedDB.open("kit-db", 1);
open.onupgradeneeded = () => open.result.createObjectStore("things");
open.onsuccess = () => {
  const tx = open.result.transaction("things", "readwrite");
  tx.objectStore("things").put({ note: ${JSON.stringify(IDB_VALUE)} }, "k1");
  tx.oncomplete = () => { document.body.dataset.stored = "yes"; open.result.close(); };
};
`;

/** An image without alt and an input without a label: two violations axe must find. */
const FLAWED = `<!doctype html><html lang="en"><head><title>Flawed</title>
<script src="/app.js" defer></script></head><body><main><h1>Flawed</h1>
<script>document.title = "inline ran"; window.inlineRan = true;</script>
<img src="/pixel.png"><input id="nameless" type="text"></main></body></html>`;

const CLEAN = `<!doctype html><html lang="en"><head><title>Clean</title></head><body><main>
<h1>Clean</h1><label for="n">Name</label><input id="n" type="text"></main></body></html>`;

/** A 1x1 transparent PNG. */
const PIXEL = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);

function serve(req: IncomingMessage, res: ServerResponse): void {
  const send = (type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
    res.writeHead(200, { "content-type": type, "content-security-policy": CSP, ...headers });
    res.end(body);
  };
  if (req.url === "/app.js") send("text/javascript", APP_JS, { "set-cookie": COOKIE });
  else if (req.url === "/pixel.png") send("image/png", PIXEL);
  else if (req.url === "/clean") send("text/html; charset=utf-8", CLEAN);
  else if (req.url === "/") send("text/html; charset=utf-8", FLAWED);
  else {
    res.writeHead(404);
    res.end();
  }
}

let site: Listening;
let browser: OpenedBrowser;

beforeAll(async () => {
  site = await listen(createServer(serve));
  browser = await openBrowser();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

async function flawedPage(): Promise<Page> {
  const page = await browser.page();
  await page.goto(site.url);
  await page.locator("body[data-stored='yes']").waitFor();
  return page;
}

describe("the browser kit", () => {
  it("opens a page under the CSP: the inline script is refused, the 'self' file runs", async () => {
    const page = await flawedPage();
    expect(await page.title()).toBe("Flawed");
    expect(await page.evaluate(() => (window as { inlineRan?: boolean }).inlineRan)).toBe(
      undefined,
    );
    expect(await page.locator("body").getAttribute("data-self-script")).toBe("ran");
    // addScriptTag adds an inline <script>: the CSP refuses it, so axe cannot go in that way.
    await page.addScriptTag({ content: "window.tagRan = true;" }).catch(() => undefined);
    expect(await page.evaluate(() => (window as { tagRan?: boolean }).tagRan)).toBe(undefined);
    await page.close();
  });

  it("runs axe under the CSP: the flawed page's violations, none on the clean one", async () => {
    const page = await flawedPage();
    const found = await accessibilityViolations(page, { minImpact: "serious" });
    expect(found.map((v) => v.id).sort()).toEqual(["image-alt", "label"]);
    expect(found.find((v) => v.id === "label")?.targets).toEqual(["#nameless"]);
    expect(found.every((v) => v.impact === "serious" || v.impact === "critical")).toBe(true);
    await page.goto(`${site.url}/clean`);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.close();
  });

  it("dumps localStorage, IndexedDB records and HttpOnly cookies; records the URLs", async () => {
    const page = await browser.page();
    const urls = visitedUrls(page);
    await page.goto(site.url);
    await page.locator("body[data-stored='yes']").waitFor();
    await page.evaluate(() => history.pushState(null, "", "/?q=fake%20pushed"));
    const dump = await storageDump(page);
    expect(dump).toContain(LOCAL_VALUE);
    expect(dump).toContain(IDB_VALUE);
    expect(dump).toContain("kit-db");
    expect(await page.evaluate(() => document.cookie)).toBe("");
    expect(dump).toContain("fake-httponly-cookie-55");
    expect(dump).toContain("fake pushed"); // the URL, percent-decoded
    expect(dump).not.toContain("fake-never-stored");
    expect(urls).toEqual(
      expect.arrayContaining([
        `${site.url}/`,
        `${site.url}/app.js`,
        `${site.url}/?q=fake%20pushed`,
      ]),
    );
    await page.close();
  });

  it("saves screenshots under artifacts/console, named with the width", async () => {
    const dir = path.join(repoRoot(), "artifacts", "console");
    const saved: string[] = [];
    for (const width of [undefined, PHONE_WIDTH]) {
      const page = await browser.page(width);
      await page.goto(`${site.url}/clean`);
      saved.push(await saveScreenshot(page, "kit-test"));
      await page.close();
    }
    expect(saved).toEqual([
      path.join(dir, "kit-test-1280.png"),
      path.join(dir, `kit-test-${PHONE_WIDTH}.png`),
    ]);
    for (const file of saved) {
      expect(existsSync(file)).toBe(true);
      await rm(file);
    }
  });
});
