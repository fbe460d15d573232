/**
 * The failed-authentication limiter over real HTTP: junk never locks out a valid credential,
 * failures count per client address, and X-Forwarded-For is believed only from trusted proxies
 * (for the limiter and the audit log alike).
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actorFor, META, startTestServer, type TestServer } from "../test-support.js";
import { addressKey } from "./failure-limiter.js";

interface Reply {
  status: number;
  errorCode: string | undefined;
}

/** A GET from a chosen local address (the whole of 127/8 is loopback on Linux). */
function call(
  server: TestServer,
  path: string,
  headers: Record<string, string> = {},
  from = "127.0.0.1",
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${server.url}${path}`,
      {
        method: body === undefined ? "GET" : "POST",
        headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
        localAddress: from,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const parsed = JSON.parse(text) as { error?: { errorCode?: string } };
          resolve({ status: response.statusCode ?? 0, errorCode: parsed.error?.errorCode });
        });
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const whoami = (server: TestServer, token: string, headers = {}, from?: string) =>
  call(server, "/trpc/user.whoami", { authorization: `Bearer ${token}`, ...headers }, from);

/** A token-shaped string with the victim's public hint (`cft_` + 4), wrong in the rest. */
const junkLike = (token: string, i: number) =>
  token.slice(0, 8) + String(i).padStart(6, "0") + "x".repeat(token.length - 14);

async function auditedIp(server: TestServer, token: string, headers: Record<string, string>) {
  const requestId = `limiter-${Math.random().toString(36).slice(2)}`;
  const name = `fake_${requestId.replace(/-/g, "_")}`;
  const reply = await call(
    server,
    "/trpc/secret.create",
    { authorization: `Bearer ${token}`, "x-request-id": requestId, ...headers },
    "127.0.0.1",
    JSON.stringify({ secret: name, value: "fake-value" }),
  );
  expect(reply.status).toBe(200);
  const rows = await server.deps.db.query<{ ip: string }>(
    "SELECT ip FROM audit_events WHERE request_id = $1",
    [requestId],
  );
  return rows.map((r) => r.ip);
}

/** A server, and the token of a user whose hint an attacker knows. */
async function withVictim(env: Record<string, string>) {
  const server = await startTestServer("pglite", { env });
  const admin = await actorFor(server, server.adminToken);
  const made = await server.services.principals.createUser(admin, META, { name: "victim" });
  return { server, victim: made.token };
}

describe("failed authentication without trusted proxies", () => {
  let server: TestServer;
  let victim: string;

  beforeAll(async () => {
    ({ server, victim } = await withVictim({}));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("100 junk tokens with the victim's hint lock nobody out: the real token works from that address and any other", async () => {
    const codes = new Set<string | undefined>();
    for (let i = 0; i < 100; i++) codes.add((await whoami(server, junkLike(victim, i))).errorCode);
    // The first 20 say UNAUTHORIZED, the rest RATE_LIMITED: the address is limited...
    expect([...codes].sort()).toEqual(["RATE_LIMITED", "UNAUTHORIZED"]);
    expect((await whoami(server, junkLike(victim, 100))).status).toBe(429);
    // ...but a credential that verifies is never refused, from there or elsewhere.
    expect((await whoami(server, victim)).status).toBe(200);
    expect((await whoami(server, victim, {}, "127.0.0.2")).status).toBe(200);
    // Failures count per address: another address has its own count.
    expect((await whoami(server, junkLike(victim, 0), {}, "127.0.0.3")).errorCode).toBe(
      "UNAUTHORIZED",
    );
  });

  it("X-Forwarded-For is ignored: a client cannot pick an address to escape the limit", async () => {
    for (let i = 0; i < 21; i++) {
      await whoami(
        server,
        junkLike(victim, i),
        { "x-forwarded-for": `198.51.100.${i}` },
        "127.0.0.4",
      );
    }
    const next = await whoami(
      server,
      junkLike(victim, 0),
      { "x-forwarded-for": "203.0.113.1" },
      "127.0.0.4",
    );
    expect(next.errorCode).toBe("RATE_LIMITED");
    expect(
      await auditedIp(server, server.adminToken, { "x-forwarded-for": "203.0.113.9" }),
    ).toEqual(["127.0.0.1"]);
  });
});

describe("failed authentication behind trusted proxies", () => {
  let server: TestServer;
  let victim: string;

  beforeAll(async () => {
    ({ server, victim } = await withVictim({ COFFER_TRUSTED_PROXIES: "127.0.0.1" }));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("limits per forwarded client: the nearest address the proxy did not add to", async () => {
    // The client writes what it likes on the left; the trusted proxy appends its peer.
    for (let i = 0; i < 21; i++) {
      await whoami(server, junkLike(victim, i), { "x-forwarded-for": `10.9.9.${i}, 198.51.100.7` });
    }
    expect(
      (await whoami(server, junkLike(victim, 0), { "x-forwarded-for": "198.51.100.7" })).errorCode,
    ).toBe("RATE_LIMITED");
    expect(
      (await whoami(server, junkLike(victim, 0), { "x-forwarded-for": "198.51.100.8" })).errorCode,
    ).toBe("UNAUTHORIZED");
    expect((await whoami(server, victim, { "x-forwarded-for": "198.51.100.7" })).status).toBe(200);
    // An untrusted peer's X-Forwarded-For is not believed: it counts as itself.
    expect(
      (
        await whoami(
          server,
          junkLike(victim, 0),
          { "x-forwarded-for": "198.51.100.7" },
          "127.0.0.5",
        )
      ).errorCode,
    ).toBe("UNAUTHORIZED");
  });

  it("the audit log records the forwarded client, by the same rule", async () => {
    expect(
      await auditedIp(server, server.adminToken, { "x-forwarded-for": "10.1.1.1, 203.0.113.9" }),
    ).toEqual(["203.0.113.9"]);
    expect(await auditedIp(server, server.adminToken, {})).toEqual(["127.0.0.1"]);
  });
});

describe("addressKey", () => {
  it("keeps IPv4, unwraps IPv4-mapped IPv6, and groups IPv6 by /64", () => {
    expect(addressKey("192.0.2.1")).toBe("192.0.2.1");
    expect(addressKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(addressKey("2001:db8:0:1::5")).toBe("2001:db8:0:1::/64");
    expect(addressKey("2001:0db8:0000:0001:ffff:0:0:1")).toBe("2001:db8:0:1::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey("unknown")).toBe("unknown");
  });
});
