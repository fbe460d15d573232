import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { expectCofferError, expectNotLeaking, thrownBy } from "../crypto/test-errors.js";
import {
  mintWebhookSecret,
  newWebhookMessageId,
  parseWebhookSecret,
  signWebhook,
  verifyWebhook,
  webhookTimestamp,
} from "./standard-webhooks.js";

// The Standard Webhooks reference libraries' published vector (their "sign function works"
// test, the same in every language).
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

/** The scheme done by hand with node:crypto, sharing no code with the module under test. */
function byHand(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return `v1,${mac}`;
}

const fakeSecret = (byte: number, length = 32): string =>
  `whsec_${Buffer.alloc(length, byte).toString("base64")}`;

describe("signWebhook", () => {
  it("reproduces the published Standard Webhooks test vector", () => {
    const headers = signWebhook({
      id: VECTOR.id,
      timestamp: VECTOR.timestamp,
      body: VECTOR.body,
      keys: [VECTOR.secret],
    });
    expect(headers).toEqual({
      "webhook-id": VECTOR.id,
      "webhook-timestamp": "1614265330",
      "webhook-signature": VECTOR.signature,
    });
    expect(byHand(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it("signs once per key, in order, as an independent computation does", () => {
    const current = fakeSecret(0x11);
    const previous = fakeSecret(0x22, 64);
    const body = JSON.stringify({ type: "rotation.set", data: { note: "é ✓ \u2028" } });
    const id = newWebhookMessageId();
    const headers = signWebhook({ id, timestamp: 1_800_000_000, body, keys: [current, previous] });
    expect(headers["webhook-signature"]).toBe(
      `${byHand(current, id, 1_800_000_000, body)} ${byHand(previous, id, 1_800_000_000, body)}`,
    );
  });

  it("refuses an id with a dot, a fractional timestamp, and no keys or three", () => {
    const sign = (over: Partial<Parameters<typeof signWebhook>[0]>) => () =>
      signWebhook({ id: "msg_1", timestamp: 1, body: "{}", keys: [fakeSecret(1)], ...over });
    expectCofferError(thrownBy(sign({ id: "msg.1" })), "INVALID_REQUEST", "malformed-webhook-id");
    expectCofferError(thrownBy(sign({ id: "" })), "INVALID_REQUEST", "malformed-webhook-id");
    expectCofferError(
      thrownBy(sign({ timestamp: 1.5 })),
      "INVALID_REQUEST",
      "malformed-webhook-timestamp",
    );
    expectCofferError(thrownBy(sign({ keys: [] })), "INVALID_REQUEST", "webhook-key-count");
    const three = [fakeSecret(1), fakeSecret(2), fakeSecret(3)];
    expectCofferError(thrownBy(sign({ keys: three })), "INVALID_REQUEST", "webhook-key-count");
  });
});

describe("parseWebhookSecret", () => {
  it("reads the key bytes of a whsec_ secret, with or without padding", () => {
    expect(parseWebhookSecret(VECTOR.secret)).toEqual(
      Buffer.from("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base64"),
    );
    const bytes = randomBytes(25);
    const padded = bytes.toString("base64");
    expect(padded.endsWith("=")).toBe(true);
    expect(parseWebhookSecret(`whsec_${padded}`)).toEqual(bytes);
    expect(parseWebhookSecret(`whsec_${padded.replace(/=+$/, "")}`)).toEqual(bytes);
    expect(parseWebhookSecret(mintWebhookSecret())).toHaveLength(32);
  });

  it.each([
    ["no prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    ["another prefix", "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    ["not base64", "whsec_MfKQ9r8GKYqrTwjU!D8ILPZIo2LaLaSw"],
    ["url-safe alphabet", "whsec_MfKQ9r8GKYqrTwjU_D8ILPZIo2LaLaSw"],
    ["too short (23 bytes)", fakeSecret(7, 23)],
    ["too long (65 bytes)", fakeSecret(7, 65)],
    ["empty", "whsec_"],
  ])("refuses %s without quoting it", (_what, text) => {
    const error = expectCofferError(
      thrownBy(() => parseWebhookSecret(text)),
      "INVALID_REQUEST",
      "malformed-webhook-secret",
    );
    const keyPart = text.startsWith("whsec_") ? text.slice("whsec_".length) : text;
    if (keyPart !== "") expectNotLeaking(error, keyPart);
  });
});

describe("verifyWebhook", () => {
  const now = new Date(VECTOR.timestamp * 1000);
  const vectorHeaders = {
    "webhook-id": VECTOR.id,
    "webhook-timestamp": String(VECTOR.timestamp),
    "webhook-signature": VECTOR.signature,
  };
  const verify = (over: Partial<Parameters<typeof verifyWebhook>[0]> = {}) =>
    verifyWebhook({
      headers: vectorHeaders,
      body: VECTOR.body,
      keys: [VECTOR.secret],
      now,
      ...over,
    });

  it("accepts the published vector, header names in any case, among other signatures", () => {
    expect(verify()).toEqual({ id: VECTOR.id, timestamp: VECTOR.timestamp });
    const mixedCase = {
      "Webhook-Id": VECTOR.id,
      "WEBHOOK-TIMESTAMP": String(VECTOR.timestamp),
      "Webhook-Signature": `v1a,bm9wZQ== v1,bm9wZQ== ${VECTOR.signature}`,
    };
    expect(verify({ headers: mixedCase }).id).toBe(VECTOR.id);
  });

  it("accepts a signature by either key while a secret rotates", () => {
    const older = fakeSecret(0x33);
    expect(verify({ keys: [older, VECTOR.secret] }).id).toBe(VECTOR.id);
    const reason = (keys: string[]) =>
      expectCofferError(
        thrownBy(() => verify({ keys })),
        "UNAUTHORIZED",
      ).details["reason"];
    expect(reason([older])).toBe("webhook-signature-mismatch");
  });

  it("refuses a changed body, id or timestamp", () => {
    const mismatch = (over: Parameters<typeof verify>[0]) =>
      expectCofferError(
        thrownBy(() => verify(over)),
        "UNAUTHORIZED",
        "webhook-signature-mismatch",
      );
    mismatch({ body: '{"test": 2432232315}' });
    mismatch({ headers: { ...vectorHeaders, "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJel" } });
    mismatch({
      headers: { ...vectorHeaders, "webhook-timestamp": String(VECTOR.timestamp + 1) },
    });
    mismatch({ headers: { ...vectorHeaders, "webhook-signature": "v1," } });
    mismatch({
      headers: { ...vectorHeaders, "webhook-signature": VECTOR.signature.replace("v1,", "v2,") },
    });
  });

  it("refuses a timestamp outside the tolerance, and takes a tolerance", () => {
    const at = (offsetSeconds: number, toleranceSeconds?: number) => () =>
      verify({
        now: new Date((VECTOR.timestamp + offsetSeconds) * 1000),
        ...(toleranceSeconds === undefined ? {} : { toleranceSeconds }),
      });
    expect(at(300)().id).toBe(VECTOR.id);
    expect(at(-300)().id).toBe(VECTOR.id);
    for (const late of [at(301), at(-301), at(61, 60)]) {
      expectCofferError(thrownBy(late), "UNAUTHORIZED", "webhook-timestamp-out-of-tolerance");
    }
  });

  it("refuses missing or malformed headers", () => {
    const unsigned = { "webhook-id": VECTOR.id, "webhook-timestamp": String(VECTOR.timestamp) };
    expectCofferError(
      thrownBy(() => verify({ headers: unsigned })),
      "UNAUTHORIZED",
      "webhook-header-missing",
    );
    expectCofferError(
      thrownBy(() => verify({ headers: { ...vectorHeaders, "webhook-timestamp": "soon" } })),
      "UNAUTHORIZED",
      "webhook-timestamp-malformed",
    );
  });

  it("round-trips a fresh id, timestamp and key", () => {
    const key = mintWebhookSecret();
    const at = new Date();
    const id = newWebhookMessageId();
    expect(id).toMatch(/^msg_[0-9A-Za-z]{27}$/);
    expect(newWebhookMessageId()).not.toBe(id);
    const headers = signWebhook({ id, timestamp: webhookTimestamp(at), body: "{}", keys: [key] });
    expect(verifyWebhook({ headers, body: "{}", keys: [key], now: at }).id).toBe(id);
  });
});
