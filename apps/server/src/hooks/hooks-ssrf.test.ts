/**
 * Hook targets in private, loopback and link-local ranges (SPEC §12): refused unless
 * COFFER_HOOK_ALLOW_CIDRS names them, the address checked being the one connected to (a DNS
 * name is checked on what it resolves to). A receiver listening on every local address (IPv4
 * and IPv6) counts the connections that reach it: none while refused.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerAs, serverForSuite } from "../test-support.js";

interface Counting {
  server: Server;
  port: number;
  connections: number;
  requests: number;
}

/** An HTTP server on `::` (dual stack: 127.0.0.1 and ::1 reach it) that counts what came. */
async function countingReceiver(): Promise<Counting> {
  const counting: Counting = { server: createServer(), port: 0, connections: 0, requests: 0 };
  counting.server.on("connection", () => counting.connections++);
  counting.server.on("request", (_req, res) => {
    counting.requests++;
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) =>
    counting.server.listen({ host: "::", port: 0, ipv6Only: false }, resolve),
  );
  counting.port = (counting.server.address() as AddressInfo).port;
  return counting;
}

const closeReceiver = (counting: Counting | undefined): Promise<void> =>
  new Promise((resolve) => {
    if (!counting) return resolve();
    counting.server.closeAllConnections();
    counting.server.close(() => resolve());
  });

describe("hook targets in refused ranges, without COFFER_HOOK_ALLOW_CIDRS", () => {
  const suite = serverForSuite("pglite");
  let receiver: Counting;
  beforeAll(async () => {
    receiver = await countingReceiver();
  });
  afterAll(() => closeReceiver(receiver));

  it.each([
    ["127.0.0.1", "loopback"],
    ["10.0.0.1", "private"],
    ["169.254.169.254", "link-local"],
    ["[::1]", "loopback"],
    ["localhost", "loopback"],
  ])("refuses %s (%s) without connecting", async (host, range) => {
    const admin = callerAs(suite.server, suite.admin);
    const name = `to_${host.replace(/[^a-z0-9]/g, "_")}`;
    await admin.hook.create({ name, url: `http://${host}:${receiver.port}/ssrf` });
    const sent = await admin.hook.test({ hook: `admin/${name}` });
    expect(sent.state).toBe("pending");
    const [attempt] = sent.attempts;
    expect(attempt?.status).toBeNull();
    expect(attempt?.error).toContain(`in a ${range} range`);
    expect(attempt?.error).toContain("COFFER_HOOK_ALLOW_CIDRS");
    expect(receiver.connections).toBe(0);
    expect(receiver.requests).toBe(0);
  });
});

describe("a hook target the allow-list names", () => {
  const suite = serverForSuite("pglite", { env: { COFFER_HOOK_ALLOW_CIDRS: "127.0.0.1/32" } });
  let receiver: Counting;
  beforeAll(async () => {
    receiver = await countingReceiver();
  });
  afterAll(() => closeReceiver(receiver));

  it("is delivered to 127.0.0.1 once COFFER_HOOK_ALLOW_CIDRS names 127.0.0.1/32 (not to ::1)", async () => {
    const admin = callerAs(suite.server, suite.admin);
    await admin.hook.create({ name: "allowed", url: `http://127.0.0.1:${receiver.port}/ssrf` });
    const sent = await admin.hook.test({ hook: "admin/allowed" });
    expect(sent.state).toBe("delivered");
    expect(sent.attempts[0]?.status).toBe(204);
    expect(receiver.requests).toBe(1);

    await admin.hook.create({ name: "not_v6", url: `http://[::1]:${receiver.port}/ssrf` });
    const refused = await admin.hook.test({ hook: "admin/not_v6" });
    expect(refused.attempts[0]?.error).toContain("in a loopback range");
    expect(receiver.requests).toBe(1);
  });
});
