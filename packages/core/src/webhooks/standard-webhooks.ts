/**
 * Standard Webhooks (https://www.standardwebhooks.com), the signing every outbound call of
 * Coffer uses (SPEC §11 webhook rotators, §12 hooks): three headers, `webhook-id`,
 * `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated list of
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per signing key (two while a
 * signing secret rotates). Keys are `whsec_<base64 of 24 to 64 random bytes>`.
 *
 * Errors never quote a key, a signature or the body.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { invalidRequest, unauthorized } from "../errors.js";
import { BASE62, randomString } from "../crypto/random-string.js";

export const WEBHOOK_ID_HEADER = "webhook-id";
export const WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp";
export const WEBHOOK_SIGNATURE_HEADER = "webhook-signature";

export const WEBHOOK_SECRET_PREFIX = "whsec_";
export const WEBHOOK_MESSAGE_ID_PREFIX = "msg_";
/** The spec's bounds on a symmetric key: at least 192 bits, at most 512. */
export const WEBHOOK_SECRET_MIN_BYTES = 24;
export const WEBHOOK_SECRET_MAX_BYTES = 64;
/** One key, or two while a signing secret rotates (SPEC §12). */
export const WEBHOOK_MAX_KEYS = 2;
/** How far a receiver lets `webhook-timestamp` stray from its clock, by default. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

const SIGNATURE_VERSION = "v1";
const HMAC_BYTES = 32;
/**
 * An id is signed as `<id>.<timestamp>.<body>`, so it must not hold a `.` (the spec's warning)
 * nor anything a header cannot carry.
 */
const MESSAGE_ID_RE = /^[A-Za-z0-9_-]{1,128}$/;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/** A type, not an interface, so that it passes where any header record is taken. */
export type WebhookHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

/** A fresh message id: `msg_` and 27 base-62 characters (about 160 random bits). */
export const newWebhookMessageId = (): string =>
  WEBHOOK_MESSAGE_ID_PREFIX + randomString(BASE62, 27);

/** A fresh signing secret in the `whsec_` form, 32 random bytes. */
export const mintWebhookSecret = (): string =>
  WEBHOOK_SECRET_PREFIX + randomBytes(32).toString("base64");

/** Unix seconds, the `webhook-timestamp` of a moment. */
export const webhookTimestamp = (at: Date): number => Math.floor(at.getTime() / 1000);

/**
 * The key bytes of a `whsec_` secret. Refuses (INVALID_REQUEST, reason
 * `malformed-webhook-secret`) a missing prefix, text that is not canonical base64, or a key
 * shorter than 24 or longer than 64 bytes, without quoting the text.
 */
export function parseWebhookSecret(text: string): Buffer {
  const refuse = (why: string) =>
    invalidRequest(`the webhook signing secret is malformed: ${why}`, {
      reason: "malformed-webhook-secret",
    });
  if (typeof text !== "string" || !text.startsWith(WEBHOOK_SECRET_PREFIX)) {
    throw refuse(`it must start with ${WEBHOOK_SECRET_PREFIX}`);
  }
  const encoded = text.slice(WEBHOOK_SECRET_PREFIX.length);
  const bytes = Buffer.from(encoded, "base64");
  // Buffer.from skips what it cannot read; a round trip proves every character was base64.
  const canonical = (s: string) => s.replace(/=+$/, "");
  if (!BASE64_RE.test(encoded) || canonical(bytes.toString("base64")) !== canonical(encoded)) {
    throw refuse(`what follows ${WEBHOOK_SECRET_PREFIX} must be base64`);
  }
  if (bytes.length < WEBHOOK_SECRET_MIN_BYTES || bytes.length > WEBHOOK_SECRET_MAX_BYTES) {
    throw refuse(
      `the key must be ${WEBHOOK_SECRET_MIN_BYTES} to ${WEBHOOK_SECRET_MAX_BYTES} bytes (it is ${bytes.length})`,
    );
  }
  return bytes;
}

function checkMessageId(id: string): void {
  if (typeof id !== "string" || !MESSAGE_ID_RE.test(id)) {
    throw invalidRequest(
      "a webhook id must be 1 to 128 letters, digits, _ or - (it is signed before a '.')",
      { reason: "malformed-webhook-id" },
    );
  }
}

function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw invalidRequest("a webhook timestamp must be whole unix seconds", {
      reason: "malformed-webhook-timestamp",
    });
  }
}

const hmac = (key: Buffer, id: string, timestamp: number | string, body: string): Buffer =>
  createHmac("sha256", key).update(`${id}.${timestamp}.${body}`, "utf8").digest();

function parseKeys(keys: readonly string[]): Buffer[] {
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > WEBHOOK_MAX_KEYS) {
    throw invalidRequest(`a webhook is signed with 1 to ${WEBHOOK_MAX_KEYS} secrets`, {
      reason: "webhook-key-count",
    });
  }
  return keys.map(parseWebhookSecret);
}

export interface SignWebhookInput {
  /** The message id, the same on every retry of one event (`newWebhookMessageId()`). */
  id: string;
  /** Unix seconds of this attempt (`webhookTimestamp(now)`). */
  timestamp: number;
  /** The body exactly as it is sent. */
  body: string;
  /** `whsec_` secrets: the current one, and the previous one while it rotates. */
  keys: readonly string[];
}

/** The three headers that sign `body`: one `v1,` signature per key, in the keys' order. */
export function signWebhook({ id, timestamp, body, keys }: SignWebhookInput): WebhookHeaders {
  checkMessageId(id);
  checkTimestamp(timestamp);
  const signatures = parseKeys(keys).map(
    (key) => `${SIGNATURE_VERSION},${hmac(key, id, timestamp, body).toString("base64")}`,
  );
  return {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
    [WEBHOOK_SIGNATURE_HEADER]: signatures.join(" "),
  };
}

/** Headers as Node gives them (lower-case names) or as any record; names match in any case. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookInput {
  headers: HeaderBag;
  body: string;
  /** `whsec_` secrets any one of which may have signed. */
  keys: readonly string[];
  /** The receiver's clock. */
  now: Date;
  toleranceSeconds?: number;
}

function header(headers: HeaderBag, name: string): string {
  const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  if (typeof found !== "string" || found === "") {
    throw unauthorized(`the webhook has no single ${name} header`, {
      reason: "webhook-header-missing",
      header: name,
    });
  }
  return found;
}

/**
 * Checks a received webhook: the three headers are there, the timestamp lies within the
 * tolerance of `now`, and one `v1` signature in the list matches one key (compared in
 * constant time). Throws UNAUTHORIZED with `details.reason` otherwise; returns the message id.
 */
export function verifyWebhook({
  headers,
  body,
  keys,
  now,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
}: VerifyWebhookInput): { id: string; timestamp: number } {
  const parsedKeys = parseKeys(keys);
  const id = header(headers, WEBHOOK_ID_HEADER);
  const timestampText = header(headers, WEBHOOK_TIMESTAMP_HEADER);
  const signatureList = header(headers, WEBHOOK_SIGNATURE_HEADER);
  if (!MESSAGE_ID_RE.test(id)) {
    throw unauthorized("the webhook id is malformed", { reason: "webhook-id-malformed" });
  }
  if (!/^\d{1,15}$/.test(timestampText)) {
    throw unauthorized("the webhook timestamp is not unix seconds", {
      reason: "webhook-timestamp-malformed",
    });
  }
  const timestamp = Number(timestampText);
  if (Math.abs(webhookTimestamp(now) - timestamp) > toleranceSeconds) {
    throw unauthorized(`the webhook timestamp is more than ${toleranceSeconds} s away from now`, {
      reason: "webhook-timestamp-out-of-tolerance",
    });
  }
  const expected = parsedKeys.map((key) => hmac(key, id, timestampText, body));
  const matches = signatureList.split(" ").some((entry) => {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== SIGNATURE_VERSION) return false;
    const given = Buffer.from(entry.slice(comma + 1), "base64");
    if (given.length !== HMAC_BYTES) return false;
    return expected.some((mac) => timingSafeEqual(mac, given));
  });
  if (!matches) {
    throw unauthorized("no webhook signature matches", { reason: "webhook-signature-mismatch" });
  }
  return { id, timestamp };
}
