import { freePort, refusal } from "@coffer/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { createWebhookClient, type WebhookClient, type WebhookPost } from "./outbound.js";
import { signedWith, startReceiver, type Receiver } from "./test-receiver.js";

const KEY = `whsec_${Buffer.alloc(32, 0x5a).toString("base64")}`;
const OLD_KEY = `whsec_${Buffer.alloc(24, 0xa5).toString("base64")}`;
const LOOPBACK = ["127.0.0.1/32"];
// Obviously fake values that must never show in an error.
const FAKE_QUERY = "fake-query-value";
const FAKE_HEADER = "fake-header-value";
const FAKE_BODY = "fake-body-value";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()));
});

function client(allowCidrs: string[] = LOOPBACK, timeoutMs?: number): WebhookClient {
  const made = createWebhookClient({
    allowCidrs,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  open.push(made);
  return made;
}

async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const started = await startReceiver(answer);
  open.push(started);
  return started;
}

const post = (url: string, over: Partial<WebhookPost> = {}): WebhookPost => ({
  url,
  body: JSON.stringify({ type: "rotation.set", note: FAKE_BODY }),
  keys: [KEY],
  headers: { "x-hook-token": FAKE_HEADER },
  ...over,
});

function expectNoLeak(error: { message: string; details: unknown }): void {
  const shown = `${error.message} ${JSON.stringify(error.details)}`;
  for (const fake of [FAKE_QUERY, FAKE_HEADER, FAKE_BODY]) expect(shown).not.toContain(fake);
}

describe("createWebhookClient().post", () => {
  it("sends exactly the body it signed, with the headers, verified independently", async () => {
    const target = await receiver();
    const call = post(`${target.url}/hook?token=${FAKE_QUERY}`, {
      id: "msg_fixedForTheTest",
      timestamp: 1_800_000_000,
      keys: [KEY, OLD_KEY],
      body: '{"type":"rotation.set","data":{"name":"db/password","note":"é ✓"}}',
    });
    const response = await client().post(call);
    expect(response.status).toBe(204);

    expect(target.received).toHaveLength(1);
    const [got] = target.received;
    expect(got!.url).toBe(`/hook?token=${FAKE_QUERY}`);
    expect(got!.body.toString("utf8")).toBe(call.body);
    expect(got!.headers).toMatchObject({
      "content-type": "application/json",
      "webhook-id": "msg_fixedForTheTest",
      "webhook-timestamp": "1800000000",
      "x-hook-token": FAKE_HEADER,
    });
    expect(String(got!.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(signedWith(got!, KEY)).toBe(true);
    expect(signedWith(got!, OLD_KEY)).toBe(true);
    const otherKey = `whsec_${Buffer.alloc(32, 0x01).toString("base64")}`;
    expect(signedWith(got!, otherKey)).toBe(false);
  });

  it("gives each call a fresh msg_ id and the current timestamp by default", async () => {
    const target = await receiver();
    const webhooks = client();
    const before = Math.floor(Date.now() / 1000);
    await webhooks.post(post(target.url));
    await webhooks.post(post(target.url));
    const [first, second] = target.received.map((r) => r.headers);
    expect(first!["webhook-id"]).toMatch(/^msg_[0-9A-Za-z]{27}$/);
    expect(second!["webhook-id"]).not.toBe(first!["webhook-id"]);
    expect(Number(first!["webhook-timestamp"])).toBeGreaterThanOrEqual(before);
    expect(signedWith({ headers: first!, body: target.received[0]!.body }, KEY)).toBe(true);
  });

  it("refuses loopback without the allow-list, before the receiver sees anything", async () => {
    const target = await receiver();
    const port = target.port;
    for (const url of [
      `${target.url}/?token=${FAKE_QUERY}`,
      `http://localhost:${port}/?token=${FAKE_QUERY}`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://0.0.0.0:${port}/`,
    ]) {
      const error = await refusal(client([]).post(post(url)));
      expect(error.errorCode).toBe("INVALID_REQUEST");
      expect(error.details["reason"]).toBe("address-refused");
      expect(error.message).not.toContain("?");
      expectNoLeak(error);
    }
    const localhost = await refusal(client([]).post(post(`http://localhost:${port}/`)));
    expect(localhost.details["range"]).toBe("loopback");
    // An allow-list naming another range does not open loopback either.
    const other = await refusal(client(["10.0.0.0/8"]).post(post(target.url)));
    expect(other.details["reason"]).toBe("address-refused");
    expect(target.received).toHaveLength(0);
  });

  it("reaches loopback when the allow-list names it, by address or by name", async () => {
    const target = await receiver();
    expect((await client(LOOPBACK).post(post(target.url))).status).toBe(204);
    const byName = `http://localhost:${target.port}/`;
    expect((await client(["127.0.0.0/8", "::1"]).post(post(byName))).status).toBe(204);
    expect(target.received).toHaveLength(2);
  });

  it("returns a 302 as it is and does not follow it", async () => {
    const elsewhere = await receiver();
    const target = await receiver((res) =>
      res.writeHead(302, { location: `${elsewhere.url}/stolen` }).end("moved"),
    );
    const response = await client().post(post(target.url));
    expect(response.status).toBe(302);
    expect(response.bodyHead).toBe("moved");
    expect(target.received).toHaveLength(1);
    expect(elsewhere.received).toHaveLength(0);
  });

  it("returns 500 and 410 as statuses, with safe headers and the body's first 4 KiB", async () => {
    const failing = await receiver((res) =>
      res
        .writeHead(500, {
          "retry-after": "120",
          "x-internal": "not kept",
          "content-type": "text/plain",
        })
        .end("x".repeat(10_000)),
    );
    const gone = await receiver((res) => res.writeHead(410).end("gone"));
    const webhooks = client();

    const error500 = await webhooks.post(post(failing.url));
    expect(error500.status).toBe(500);
    expect(error500.headers).toMatchObject({ "retry-after": "120", "content-type": "text/plain" });
    expect(error500.headers["x-internal"]).toBeUndefined();
    expect(error500.bodyHead).toBe("x".repeat(4096));
    expect(error500.durationMs).toBeGreaterThanOrEqual(0);

    const gone410 = await webhooks.post(post(gone.url));
    expect(gone410).toMatchObject({ status: 410, bodyHead: "gone" });
  });

  it("times out on a receiver that never answers", async () => {
    const silent = await receiver(() => undefined);
    const error = await refusal(
      client(LOOPBACK, 1500).post(post(`${silent.url}/?t=${FAKE_QUERY}`)),
    );
    expect(error.details).toMatchObject({ reason: "timeout" });
    expect(silent.received).toHaveLength(1);
    expectNoLeak(error);
  });

  it("reports a closed port as connect-failed, naming the cause code only", async () => {
    const port = await freePort();
    const error = await refusal(
      client().post(post(`http://127.0.0.1:${port}/?token=${FAKE_QUERY}`)),
    );
    expect(error.details).toMatchObject({ reason: "connect-failed", cause: "ECONNREFUSED" });
    expectNoLeak(error);
  });

  it("refuses a bad URL, header or body before any connection", async () => {
    const target = await receiver();
    const webhooks = client();
    const reasonOf = async (call: WebhookPost) =>
      (await refusal(webhooks.post(call))).details["reason"];
    expect(await reasonOf(post("ftp://127.0.0.1/"))).toBe("webhook-url-invalid");
    expect(await reasonOf(post("not a url"))).toBe("webhook-url-invalid");
    expect(await reasonOf(post(target.url.replace("//", `//user:${FAKE_QUERY}@`)))).toBe(
      "webhook-url-credentials",
    );
    const split = { "x-hook-token": `${FAKE_HEADER}\r\nx-injected: 1` };
    expect(await reasonOf(post(target.url, { headers: split }))).toBe("webhook-header-invalid");
    const forged = { "Webhook-Signature": "v1,forged" };
    expect(await reasonOf(post(target.url, { headers: forged }))).toBe("webhook-header-reserved");
    expect(await reasonOf(post(target.url, { body: FAKE_BODY }))).toBe("webhook-body-not-json");
    expect(await reasonOf(post(target.url, { keys: ["whsec_short"] }))).toBe(
      "malformed-webhook-secret",
    );
    expect(target.received).toHaveLength(0);
  });
});
