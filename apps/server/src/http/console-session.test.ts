/**
 * Console sessions over real HTTP (SPEC §13): the cookie's flags, the same-origin rule, sign-out
 * and sign-out everywhere, the idle and absolute ends (an injected clock), a disabled user or
 * token ending its sessions, and the cookie's text stored nowhere.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actorFor, callerAs, ENGINES, startTestServer, type TestServer } from "../test-support.js";

const clock = { offsetMs: 0 };
const MINUTE = 60_000;

interface Answer {
  status: number;
  body: { result?: { data?: unknown }; error?: { errorCode?: string; message?: string } };
  setCookie: string[];
}

describe.each(ENGINES)("console sessions (%s)", (engine) => {
  let server: TestServer;
  const origin = () => server.url;

  /** A tRPC call over HTTP with the given headers (a mutation when `input` is given). */
  async function call(
    path: string,
    headers: Record<string, string>,
    input?: unknown,
  ): Promise<Answer> {
    const res = await fetch(`${server.url}/trpc/${path}`, {
      method: input === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", ...headers },
      ...(input === undefined ? {} : { body: JSON.stringify(input) }),
    });
    const body = (await res.json()) as Answer["body"];
    return { status: res.status, body, setCookie: res.headers.getSetCookie() };
  }

  /** Signs in with `token` from the console's origin; returns the cookie header to send. */
  async function signIn(token: string): Promise<{ cookie: string; answer: Answer }> {
    const answer = await call("session.open", { origin: origin() }, { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const cookie = answer.setCookie[0]!.split(";")[0]!;
    return { cookie, answer };
  }

  const fromPage = (cookie: string) => ({ cookie, "sec-fetch-site": "same-origin" });

  beforeAll(async () => {
    server = await startTestServer(engine, {
      now: () => new Date(Date.now() + clock.offsetMs),
      env: { COFFER_TRUSTED_PROXIES: "loopback" },
    });
  });
  afterAll(() => server?.stop());

  async function newUser(name: string): Promise<string> {
    const admin = callerAs(server, await adminActor());
    return (await admin.user.create({ name })).token;
  }
  const adminActor = () => actorFor(server, server.adminToken);

  it("opens a session with an HttpOnly, SameSite=Strict cookie; the page's calls act as the token", async () => {
    const { cookie, answer } = await signIn(server.adminToken);
    expect(answer.setCookie).toHaveLength(1);
    expect(answer.setCookie[0]).toMatch(
      /^coffer_session=cfs_[0-9A-Za-z]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    expect(answer.body.result?.data).toMatchObject({ user: "admin", orgRole: "admin" });
    const current = await call("session.current", fromPage(cookie));
    expect(current.status).toBe(200);
    expect(current.body.result?.data).toMatchObject({
      user: "admin",
      session: expect.stringMatching(/^ses_/) as unknown,
      idleTimeoutSeconds: 1800,
    });
    const whoami = await call("user.whoami", fromPage(cookie));
    expect(whoami.body.result?.data).toMatchObject({ name: "admin", orgRole: "admin" });
    // A POST from the page carries its Origin.
    const created = await call(
      "team.create",
      { cookie, origin: origin(), "sec-fetch-site": "same-origin" },
      { name: "session-team" },
    );
    expect(created.status).toBe(200);
  });

  it("under TLS (a trusted proxy says https) the cookie is __Host- and Secure", async () => {
    const answer = await call(
      "session.open",
      { origin: origin(), "x-forwarded-proto": "https" },
      { token: server.adminToken },
    );
    expect(answer.status).toBe(200);
    expect(answer.setCookie[0]).toMatch(
      /^__Host-coffer_session=cfs_\w+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/,
    );
    const cookie = answer.setCookie[0]!.split(";")[0]!;
    expect(
      (await call("session.current", { ...fromPage(cookie), "x-forwarded-proto": "https" })).status,
    ).toBe(200);
  });

  it("refuses the cookie from another origin (another port is the same site), or with no origin at all", async () => {
    const { cookie } = await signIn(server.adminToken);
    const other = new URL(origin());
    other.port = String(Number(other.port) + 1);
    const crossPost = await call(
      "team.create",
      { cookie, origin: other.origin, "sec-fetch-site": "same-site" },
      { name: "csrf-team" },
    );
    expect(crossPost.status).toBe(403);
    expect(crossPost.body.error).toMatchObject({ errorCode: "FORBIDDEN" });
    const originOnly = await call(
      "team.create",
      { cookie, origin: other.origin },
      { name: "csrf-team" },
    );
    expect(originOnly.status).toBe(403);
    const sameSite = await call("session.current", { cookie, "sec-fetch-site": "same-site" });
    expect(sameSite.status).toBe(403);
    const bare = await call("session.current", { cookie });
    expect(bare.status).toBe(403);
    // A cookie of another shape, or an unknown one, is no session (and no 500).
    for (const bad of [
      "coffer_session=x",
      "coffer_session=cfs_" + "A".repeat(43),
      "coffer_session",
    ]) {
      const answer = await call("session.current", {
        cookie: bad,
        "sec-fetch-site": "same-origin",
      });
      expect(answer.status, bad).toBe(401);
    }
    // Nothing was made by the refused calls.
    const teams = await call("team.list", fromPage(cookie));
    expect(JSON.stringify(teams.body)).not.toContain("csrf-team");
    // A token still works from anywhere, cookie or not.
    const withToken = await call("session.current", {
      authorization: `Bearer ${server.adminToken}`,
      origin: other.origin,
    });
    expect(withToken.status).toBe(200);
    expect(withToken.body.result?.data).toMatchObject({ session: null });
  });

  it("signs out one session, and everywhere; the cookie is dropped", async () => {
    const token = await newUser("sally");
    const first = await signIn(token);
    const second = await signIn(token);
    const third = await signIn(token);
    const out = await call("session.close", { ...fromPage(first.cookie), origin: origin() }, {});
    expect(out.status).toBe(200);
    expect(out.setCookie[0]).toMatch(
      /^coffer_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/,
    );
    const ended = await call("session.current", fromPage(first.cookie));
    expect(ended.status).toBe(401);
    expect(ended.body.error?.message).toMatch(/session has ended/);
    expect((await call("session.current", fromPage(second.cookie))).status).toBe(200);
    const all = await call(
      "session.closeAll",
      { ...fromPage(second.cookie), origin: origin() },
      {},
    );
    expect(all.body.result?.data).toEqual({ ended: 2 });
    expect((await call("session.current", fromPage(second.cookie))).status).toBe(401);
    expect((await call("session.current", fromPage(third.cookie))).status).toBe(401);
    // The token itself still works (signing out ends sessions, not tokens).
    expect((await call("user.whoami", { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it("ends after 30 minutes idle, and 12 hours after sign-in however busy", async () => {
    const token = await newUser("ida");
    const idle = await signIn(token);
    const busy = await signIn(token);
    try {
      clock.offsetMs += 29 * MINUTE;
      expect((await call("session.current", fromPage(busy.cookie))).status).toBe(200);
      clock.offsetMs += 2 * MINUTE;
      expect((await call("session.current", fromPage(idle.cookie))).status).toBe(401);
      // Used every 25 minutes, the busy one lives until its absolute end.
      for (let elapsed = 31; elapsed + 25 < 12 * 60; elapsed += 25) {
        clock.offsetMs += 25 * MINUTE;
        expect((await call("session.current", fromPage(busy.cookie))).status).toBe(200);
      }
      clock.offsetMs += 25 * MINUTE;
      expect((await call("session.current", fromPage(busy.cookie))).status).toBe(401);
    } finally {
      clock.offsetMs = 0;
    }
  });

  it("a disabled user's sessions end (and stay ended when enabled again); so do a disabled token's", async () => {
    const admin = callerAs(server, await adminActor());
    const token = await newUser("dana");
    const { cookie } = await signIn(token);
    await admin.user.disable({ name: "dana" });
    const after = await call("session.current", fromPage(cookie));
    expect(after.status).toBe(401);
    await admin.user.enable({ name: "dana" });
    expect((await call("session.current", fromPage(cookie))).status).toBe(401);

    const token2 = (await admin.token.create({ name: "t", expiresInSeconds: 3600, for: "dana" }))
      .token;
    const second = await signIn(token2);
    const tokenId = (
      (await call("session.current", fromPage(second.cookie))).body.result?.data as {
        session: string;
      }
    ).session;
    expect(tokenId).toMatch(/^ses_/);
    const whoami = (await call("user.whoami", fromPage(second.cookie))).body.result?.data as {
      tokenId: string;
    };
    await admin.token.disable({ id: whoami.tokenId });
    expect((await call("session.current", fromPage(second.cookie))).status).toBe(401);
  });

  it("refuses shared tokens and unknown tokens at sign-in, and audits sign-in and sign-out", async () => {
    const admin = callerAs(server, await adminActor());
    const shared = await admin.token.create({ name: "ci", expiresInSeconds: 3600, shared: {} });
    const refused = await call("session.open", { origin: origin() }, { token: shared.token });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.message).toMatch(/personal token/);
    expect(refused.setCookie).toEqual([]);
    const unknown = await call(
      "session.open",
      { origin: origin() },
      { token: "cft_not_a_real_token" },
    );
    expect(unknown.status).toBe(401);
    expect(unknown.setCookie).toEqual([]);
    const garbage = await call("session.open", { origin: origin() }, { token: 42 });
    expect(garbage.status).toBe(400);

    const { cookie } = await signIn(server.adminToken);
    await call("session.close", { ...fromPage(cookie), origin: origin() }, {});
    const events = await server.deps.db.query<{
      action: string;
      details: unknown;
      resource: string;
    }>(
      "SELECT action, details, resource FROM audit_events WHERE action LIKE 'session.%' ORDER BY id",
    );
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(["session.open", "session.close", "session.close-all"]),
    );
    const text = JSON.stringify(events);
    expect(text).not.toContain(cookie.split("=")[1]);
    expect(text).not.toContain(server.adminToken);
  });

  it("acts as the token it was opened with: a narrow token gives a narrow session", async () => {
    const admin = callerAs(server, await adminActor());
    await admin.secret.create({ secret: "narrow_one", value: "fake-narrow-value" });
    const narrow = await admin.token.create({
      name: "narrow",
      expiresInSeconds: 3600,
      scopes: [{ resource: "secret://default/admin/narrow_one", level: "read" }],
    });
    const { cookie } = await signIn(narrow.token);
    const page = { ...fromPage(cookie), origin: origin() };
    expect((await call("secret.reveal", page, { secret: "narrow_one" })).status).toBe(200);
    const refused = await call("team.create", page, { name: "not-from-narrow" });
    expect(refused.status).toBe(403);
    expect((await call("session.closeAll", page, {})).status).toBe(403);
  });

  it("takes the console's own header as proof of origin (plain HTTP at a host name sends no Sec-Fetch-Site), never against a contrary one", async () => {
    const { cookie } = await signIn(server.adminToken);
    const fromConsole = { cookie, "x-coffer-console": "1" };
    expect((await call("session.current", fromConsole)).status).toBe(200);
    const other = new URL(origin());
    other.port = String(Number(other.port) + 1);
    expect((await call("session.current", { ...fromConsole, origin: other.origin })).status).toBe(
      403,
    );
    expect(
      (await call("session.current", { ...fromConsole, "sec-fetch-site": "cross-site" })).status,
    ).toBe(403);
    expect((await call("session.current", { cookie, "x-coffer-console": "yes" })).status).toBe(403);
  });

  it("ignores a proxy's Basic Authorization beside the cookie; a Bearer token still wins", async () => {
    const { cookie } = await signIn(server.adminToken);
    const basic = await call("session.current", {
      ...fromPage(cookie),
      authorization: "Basic ZmFrZTpmYWtl",
    });
    expect(basic.status).toBe(200);
    expect(basic.body.result?.data).toMatchObject({
      session: expect.stringMatching(/^ses_/) as unknown,
    });
    const bearer = await call("session.current", {
      ...fromPage(cookie),
      authorization: `Bearer ${server.adminToken}`,
    });
    expect(bearer.body.result?.data).toMatchObject({ session: null });
    // Without a cookie, Basic is still a bad header.
    expect((await call("session.current", { authorization: "Basic ZmFrZTpmYWtl" })).status).toBe(
      401,
    );
  });

  it("over TLS reads only the __Host- cookie (a planted plain one is no session)", async () => {
    const answer = await call(
      "session.open",
      { origin: origin(), "x-forwarded-proto": "https" },
      { token: server.adminToken },
    );
    const secret = answer.setCookie[0]!.split(";")[0]!.split("=")[1]!;
    const tls = { "x-forwarded-proto": "https", "sec-fetch-site": "same-origin" };
    expect(
      (await call("session.current", { ...tls, cookie: `coffer_session=${secret}` })).status,
    ).toBe(401);
    expect(
      (await call("session.current", { ...tls, cookie: `__Host-coffer_session=${secret}` })).status,
    ).toBe(200);
  });

  it("a disabled token's sessions end, and stay ended when it is enabled again", async () => {
    const admin = callerAs(server, await adminActor());
    const made = await admin.token.create({ name: "laptop", expiresInSeconds: 3600 });
    const { cookie } = await signIn(made.token);
    await admin.token.disable({ id: made.id });
    await admin.token.enable({ id: made.id, expiresInSeconds: 3600 });
    expect((await call("session.current", fromPage(cookie))).status).toBe(401);
  });

  it("does not hold calls with no credential at all against the address (the console's check before sign-in)", async () => {
    const codes = new Set<number>();
    for (let i = 0; i < 30; i++) {
      codes.add((await call("session.current", { "sec-fetch-site": "same-origin" })).status);
    }
    expect([...codes]).toEqual([401]);
    expect(
      (await call("session.current", { authorization: `Bearer ${server.adminToken}` })).status,
    ).toBe(200);
  });

  it("keeps only a hash of the cookie's text", async () => {
    const { cookie } = await signIn(server.adminToken);
    const secret = cookie.split("=")[1]!;
    const rows = await server.deps.db.query("SELECT * FROM console_sessions");
    expect(rows.length).toBeGreaterThan(0);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(secret.slice(4, 20));
  });
});
