/**
 * Headless Chromium for the console's tests and benchmark: Debian's /usr/bin/chromium driven by
 * playwright-core (`playwright install` cannot run here, and playwright-core downloads nothing),
 * one fresh profile per browser, screenshots kept under artifacts/ and the URLs a page visits.
 * axe (browser-axe.ts) and the storage dump (browser-storage.ts) are beside this file.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";

/** Playwright's types, for users of the kit that do not depend on playwright-core themselves. */
export type { BrowserContext, Page } from "playwright-core";
export * from "./browser-axe.js";
export * from "./browser-storage.js";

export const CHROMIUM = "/usr/bin/chromium";
/** The console's two sizes (SPEC §13): a desktop and a phone. */
export const DESKTOP_WIDTH = 1280;
export const PHONE_WIDTH = 390;

/** Chromium starts slowly on a busy 2-CPU machine: deadlines, never measures. */
const LAUNCH_TIMEOUT_MS = 180_000;
const ACTION_TIMEOUT_MS = 60_000;

/** Quiet, offline-friendly flags: no GPU, no QUIC, no background fetches of Google's services. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface OpenBrowserOptions {
  /** The default viewport's width; 1280 unless told. */
  width?: number;
  /** Playwright's default deadline for actions and navigations; 60 s unless told. */
  timeoutMs?: number;
}

export interface OpenedBrowser {
  context: BrowserContext;
  /** A new tab `width` px wide (1280 unless told; PHONE_WIDTH for the phone). */
  page(width?: number): Promise<Page>;
  /** Closes Chromium and removes its profile directory. */
  close(): Promise<void>;
}

const heightFor = (width: number): number => (width <= 480 ? 844 : 800);

export async function openBrowser(options: OpenBrowserOptions = {}): Promise<OpenedBrowser> {
  const width = options.width ?? DESKTOP_WIDTH;
  const timeoutMs = options.timeoutMs ?? ACTION_TIMEOUT_MS;
  // A fresh profile each time: nothing a previous test stored can be found (or hidden) here.
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-chromium-"));
  let context: BrowserContext;
  try {
    // Loaded here, not at the top: every test imports the kit, few open a browser, and
    // playwright-core takes over half a second of CPU to load.
    const { chromium } = await import("playwright-core");
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width, height: heightFor(width) },
      args: CHROMIUM_ARGS,
      timeout: LAUNCH_TIMEOUT_MS,
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(timeoutMs);
  context.setDefaultNavigationTimeout(timeoutMs);
  return {
    context,
    async page(pageWidth = DESKTOP_WIDTH) {
      const page = await context.newPage();
      await page.setViewportSize({ width: pageWidth, height: heightFor(pageWidth) });
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The monorepo's root: the nearest directory above this file with pnpm-workspace.yaml. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "pnpm-workspace.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("no pnpm-workspace.yaml above the test kit");
    dir = parent;
  }
  return dir;
}

/**
 * The whole page as `<repo>/artifacts/console/<name>-<width>.png` (CI keeps artifacts/; git
 * ignores it). Returns the path.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const dir = path.join(repoRoot(), "artifacts", "console");
  await mkdir(dir, { recursive: true });
  const width = page.viewportSize()?.width ?? DESKTOP_WIDTH;
  const file = path.join(dir, `${name}-${width}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Every URL the page asks for from now on (requests, WebSockets) and every URL its frames
 * show, including history.pushState/replaceState ones, which send no request: the live list,
 * for "no value in any URL". URLs are as sent, percent-encoded: decode before searching.
 */
export function visitedUrls(page: Page): string[] {
  const urls: string[] = [];
  page.on("request", (request) => urls.push(request.url()));
  page.on("websocket", (socket) => urls.push(socket.url()));
  page.on("framenavigated", (frame) => urls.push(frame.url()));
  return urls;
}
