import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retryingFetch } from "./retrying-fetch.js";

/** A server that answers with the statuses queued for it, then 200. */
let server: Server;
let base: string;
let queue: number[] = [];
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === "/slow") {
      setTimeout(() => res.end("late"), 500);
      return;
    }
    const status = queue.shift() ?? 200;
    if (status === 429) res.setHeader("retry-after", "0");
    res.statusCode = status;
    res.end(String(status));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function run(statuses: number[], method: string, retries = 3) {
  queue = [...statuses];
  hits = 0;
  const f = retryingFetch({ retries, backoffMs: 1, timeoutMs: 2000 });
  return f(`${base}/x`, { method });
}

describe("retryingFetch", () => {
  it("retries a query on 5xx and 429 until it succeeds", async () => {
    const response = await run([500, 503, 429], "GET");
    expect(response.status).toBe(200);
    expect(hits).toBe(4);
  });

  it("gives up after the retries and returns the last answer", async () => {
    const response = await run([500, 500, 500, 500, 500], "GET", 2);
    expect(response.status).toBe(500);
    expect(hits).toBe(3);
  });

  it("retries a mutation only where the server did not run it", async () => {
    expect((await run([503, 429, 502], "POST")).status).toBe(200);
    expect(hits).toBe(4);
    // A 500 may follow a committed change: never sent twice.
    expect((await run([500], "POST")).status).toBe(500);
    expect(hits).toBe(1);
  });

  it("does not retry client errors", async () => {
    expect((await run([400], "GET")).status).toBe(400);
    expect(hits).toBe(1);
    expect((await run([409], "POST")).status).toBe(409);
    expect(hits).toBe(1);
  });

  it("times out each attempt", async () => {
    hits = 0;
    const f = retryingFetch({ retries: 1, backoffMs: 1, timeoutMs: 50 });
    await expect(f(`${base}/slow`, { method: "GET" })).rejects.toThrow();
    expect(hits).toBe(2);
  });

  it("retries a mutation whose connection was refused, and fails after the retries", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    let attempts = 0;
    const f = retryingFetch({ retries: 2, backoffMs: 1, onAttempt: () => attempts++ });
    await expect(f(`http://127.0.0.1:${port}/x`, { method: "POST" })).rejects.toThrow();
    expect(attempts).toBe(3);
  });
});
