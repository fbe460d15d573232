/**
 * Hostile cases of hooks found by an outside review (SPEC §12), each on a real server and a
 * local receiver over HTTP; each failed before its fix:
 * - a value the 4 KiB response head cuts inside a multi-byte character is redacted up to the
 *   cut (the split character is left out, not turned into U+FFFD, which no prefix matches);
 * - a value echoed in Python's (`\u00e4`) or PHP's (`\/`) default JSON is redacted;
 * - a hook deleted while its test is in flight: `hook.test` answers NOT_FOUND naming it;
 * - a hook made again after one of its name was deleted uses its signing key again.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerAs, serverForSuite } from "../test-support.js";
import { startReceiver, type Receiver, type Received } from "../webhooks/test-receiver.js";

/** 15 ASCII bytes, then 3-byte characters: a cut 1 or 2 bytes into the first one splits it. */
const VALUE = "fake-ABCDEFGHIJ€€€€€€€€tail";
const HEAD_BYTES = 4096;

describe("hooks under attack", () => {
  const suite = serverForSuite("pglite", { env: { COFFER_HOOK_ALLOW_CIDRS: "127.0.0.1/32" } });
  let admin: ReturnType<typeof callerAs>;
  let receiver: Receiver;
  let answer: (res: ServerResponse, request: Received) => void = (res) => res.writeHead(204).end();

  beforeAll(async () => {
    admin = callerAs(suite.server, suite.admin);
    receiver = await startReceiver((res, request) => answer(res, request));
    await admin.secret.create({ secret: "echoed", value: VALUE });
  });
  afterAll(async () => {
    await receiver.close();
  });

  for (const into of [1, 2]) {
    it(`keeps no part of a value the 4 KiB cut splits ${into} byte(s) into a character`, async () => {
      const pad = HEAD_BYTES - 15 - into;
      answer = (res, request) => {
        const { v } = JSON.parse(request.body.toString("utf8")) as { v: string };
        res
          .writeHead(200, { "content-type": "text/plain" })
          .end("x".repeat(pad) + v + "x".repeat(100));
      };
      await admin.hook.create({
        name: `echo${into}`,
        url: `${receiver.url}/echo`,
        body: '{"v": "${echoed}"}',
        allowSecrets: ["echoed"],
      });
      const sent = await admin.hook.test({ hook: `echo${into}` });
      expect(sent.attempts[0]?.status).toBe(200);
      expect(JSON.stringify(sent)).not.toContain("fake-ABCD");
      const [logged] = (await admin.deliveries.list({ hook: `echo${into}` })).items;
      expect(JSON.stringify(logged)).not.toContain("fake-ABCD");
    });
  }

  it("redacts a value echoed as Python's and PHP's default JSON escape it", async () => {
    const value = "fake-pässwörd/with-slash";
    await admin.secret.create({ secret: "escaped", value });
    answer = (res, request) => {
      const { v } = JSON.parse(request.body.toString("utf8")) as { v: string };
      // json.dumps (ensure_ascii) and json_encode: non-ASCII as \uXXXX, "/" as "\/".
      const text = JSON.stringify({ v })
        .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
        .replace(/\//g, "\\/");
      res.writeHead(200, { "content-type": "application/json" }).end(text);
    };
    await admin.hook.create({
      name: "pyecho",
      url: `${receiver.url}/pyecho`,
      body: '{"v": "${escaped}"}',
      allowSecrets: ["escaped"],
    });
    const sent = await admin.hook.test({ hook: "pyecho" });
    expect(sent.attempts[0]?.status).toBe(200);
    expect(sent.attempts[0]?.responseBody).toBe('{"v":"[REDACTED]"}');
  });

  it("answers hook.test with an error when the hook is deleted while its test is sent", async () => {
    const held: ServerResponse[] = [];
    answer = (res) => void held.push(res);
    await admin.hook.create({ name: "doomed", url: `${receiver.url}/held` });
    const testing = admin.hook.test({ hook: "doomed" });
    const deadline = Date.now() + 60_000;
    while (held.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await admin.hook.delete({ hook: "doomed" });
    for (const res of held) res.writeHead(204).end();
    await expect(testing).rejects.toThrow(/admin\/doomed/);
  });

  it("makes a hook again after one of its name was deleted (its key used again)", async () => {
    answer = (res) => res.writeHead(204).end();
    await admin.hook.create({ name: "again", url: `${receiver.url}/again` });
    await admin.hook.delete({ hook: "again" });
    const made = await admin.hook.create({ name: "again", url: `${receiver.url}/again` });
    expect(made.signingSecret).toBe("admin/again_hook_signing_key");
  });
});
