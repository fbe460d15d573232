/**
 * The console's files at `/` (SPEC §13): the page with `no-store`, hashed assets cached for a
 * year, page paths answered with the page, the API's 404s kept, and the security headers on
 * every response.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { tempDir } from "@coffer/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test-support.js";

const PAGE =
  '<!doctype html><html><head><script type="module" src="/assets/app-x1.js"></script></head></html>';

describe("the console's files", () => {
  let server: TestServer;
  let missing: TestServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    dir = await tempDir("coffer-console-");
    await mkdir(path.join(dir.dir, "assets"));
    await writeFile(path.join(dir.dir, "index.html"), PAGE);
    await writeFile(path.join(dir.dir, "assets", "app-x1.js"), "console.log('x')\n");
    server = await startTestServer("pglite", { env: { COFFER_CONSOLE_DIR: dir.dir } });
    missing = await startTestServer("pglite", {
      env: { COFFER_CONSOLE_DIR: path.join(dir.dir, "nowhere") },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await missing?.stop();
    await dir?.remove();
  });

  const get = (base: string, p: string, accept = "text/html,*/*;q=0.8") =>
    fetch(`${base}${p}`, { headers: { accept } });

  it("answers / and any page path with the page, never cached", async () => {
    for (const p of ["/", "/secrets", "/secrets/team-a/OPENAI_KEY", "/audit?action=x"]) {
      const res = await get(server.url, p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(await res.text()).toBe(PAGE);
    }
  });

  it("serves hashed assets for a year, immutable; an unknown asset is a 404", async () => {
    const res = await get(server.url, "/assets/app-x1.js", "*/*");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await get(server.url, "/assets/nope-1.js", "*/*")).status).toBe(404);
  });

  it("keeps the API's JSON 404s", async () => {
    const api = await get(server.url, "/trpc/no.such");
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { errorCode: string } }).error.errorCode).toBe(
      "NOT_FOUND",
    );
    // A client that accepts anything is not a browser asking for a page (the CLI's login).
    const any = await get(server.url, "/not-here/trpc/user.whoami", "*/*");
    expect(any.status).toBe(404);
    expect(any.headers.get("content-type")).toMatch(/json/);
    const json = await get(server.url, "/nothing", "application/json");
    expect(json.status).toBe(404);
    expect(((await json.json()) as { error: { errorCode: string } }).error.errorCode).toBe(
      "NOT_FOUND",
    );
  });

  it("sends the security headers on pages, assets and API answers alike", async () => {
    for (const [p, accept] of [
      ["/", "text/html"],
      ["/assets/app-x1.js", "*/*"],
      ["/healthz", "application/json"],
      ["/trpc/user.whoami", "application/json"],
    ] as const) {
      const res = await get(server.url, p, accept);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, p).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("says how to build the console when it is not built", async () => {
    const res = await get(missing.url, "/");
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/pnpm build/);
  });
});
