/**
 * /metrics labels name only procedures the API has: calls to made-up names (unauthenticated,
 * one or in a batch) all count under `procedure="unknown"`, so a caller cannot grow the
 * metrics without bound.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test-support.js";
import { procedureLabel } from "./app.js";

describe("metrics labels", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("a known procedure is its own label; anything else is `unknown`", () => {
    expect(procedureLabel("secret.put")).toBe("secret.put");
    expect(procedureLabel("secret.nope")).toBe("unknown");
    expect(procedureLabel("secret")).toBe("unknown");
    expect(procedureLabel(undefined)).toBe("unknown");
  });

  it("many made-up procedure names add one label value, not one each", async () => {
    const names = Array.from({ length: 300 }, (_, i) => `bogus${i}.x${"y".repeat(i % 7)}`);
    for (let i = 0; i < names.length; i += 3) {
      const [a, b, c] = names.slice(i, i + 3) as [string, string, string];
      const get = await fetch(`${server.url}/trpc/${a}`);
      expect(get.status).toBe(404);
      const post = await fetch(`${server.url}/trpc/${b}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(post.status).toBe(404);
      // A batch: a made-up name beside a real one.
      const batch = await fetch(`${server.url}/trpc/${c},user.whoami?batch=1`);
      await batch.body?.cancel();
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const requestLines = metrics.split("\n").filter((l) => l.startsWith("coffer_requests_total{"));
    for (const name of names) expect(metrics).not.toContain(name);
    const unknown = requestLines.filter((l) => l.includes('procedure="unknown"'));
    expect(unknown).toEqual(['coffer_requests_total{procedure="unknown",outcome="NOT_FOUND"} 300']);
    // The real procedure in the batches keeps its own name.
    expect(requestLines.some((l) => l.includes('procedure="user.whoami"'))).toBe(true);
  });
});
