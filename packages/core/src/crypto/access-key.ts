/**
 * Signed requests for machines (SPEC §4). The caller sends
 * `x-coffer-timestamp` (ms since epoch), `x-coffer-access-key` and
 * `x-coffer-signature` = base64(HMAC-SHA256(secret, METHOD + " " + PATH_AND_QUERY + "\n" +
 * TIMESTAMP + "\n" + ACCESS_KEY)). The server refuses a skew over 5 minutes and a signature
 * seen before. The server needs the secret itself to check an HMAC, so it keeps it sealed
 * (envelope.ts), never in clear.
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { unauthorized } from "../errors.js";
import { BASE62, randomString } from "./random-string.js";
import { isWellFormedPrefixed, mintPrefixed } from "./prefixed-secret.js";

export const ACCESS_KEY_ID_PREFIX = "cfk_";
export const ACCESS_KEY_SECRET_PREFIX = "cfs_";
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export const SIGNATURE_HEADERS = {
  timestamp: "x-coffer-timestamp",
  accessKey: "x-coffer-access-key",
  signature: "x-coffer-signature",
} as const;

export interface MintedAccessKey {
  accessKeyId: string;
  /** Shown once; the server stores it sealed. */
  secret: string;
}

export function mintAccessKey(): MintedAccessKey {
  return {
    accessKeyId: ACCESS_KEY_ID_PREFIX + randomString(BASE62, 20),
    secret: mintPrefixed(ACCESS_KEY_SECRET_PREFIX),
  };
}

export const isWellFormedAccessKeySecret = (text: string): boolean =>
  isWellFormedPrefixed(ACCESS_KEY_SECRET_PREFIX, text);

const ACCESS_KEY_ID_RE = /^cfk_[0-9A-Za-z]{20}$/;

export function stringToSign(
  method: string,
  pathAndQuery: string,
  timestamp: string,
  accessKeyId: string,
): string {
  return `${method.toUpperCase()} ${pathAndQuery}\n${timestamp}\n${accessKeyId}`;
}

function signature(secret: string, text: string): string {
  return createHmac("sha256", secret).update(text, "utf8").digest("base64");
}

export interface RequestToSign {
  method: string;
  /** The request target as sent: path and query string, e.g. `/trpc/secret.reveal?input=…`. */
  pathAndQuery: string;
}

/** Headers that sign one request. */
export function signRequest(
  request: RequestToSign,
  key: MintedAccessKey,
  now: number = Date.now(),
): Record<(typeof SIGNATURE_HEADERS)[keyof typeof SIGNATURE_HEADERS], string> {
  const timestamp = String(now);
  const text = stringToSign(request.method, request.pathAndQuery, timestamp, key.accessKeyId);
  return {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.accessKey]: key.accessKeyId,
    [SIGNATURE_HEADERS.signature]: signature(key.secret, text),
  };
}

/**
 * Remembers signatures until they would be refused for skew anyway. `remember` returns false
 * when the signature was already recorded and has not expired at `now` (the verifier's clock,
 * the same one the skew check used). Replicas share one store (the database, say).
 */
export interface ReplayStore {
  remember(signatureId: string, expiresAtMs: number, now: number): boolean | Promise<boolean>;
}

/** A replay store for one process; entries leave once their skew window has passed. */
export class MemoryReplayStore implements ReplayStore {
  #seen = new Map<string, number>();

  remember(signatureId: string, expiresAtMs: number, now: number): boolean {
    if (this.#seen.size > 0 && this.#seen.size % 1024 === 0) this.prune(now);
    const until = this.#seen.get(signatureId);
    if (until !== undefined && until > now) return false;
    this.#seen.set(signatureId, expiresAtMs);
    return true;
  }

  prune(now: number = Date.now()): void {
    for (const [id, until] of this.#seen) if (until <= now) this.#seen.delete(id);
  }

  get size(): number {
    return this.#seen.size;
  }
}

export interface SignedRequest extends RequestToSign {
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface VerifySignatureDeps {
  /** The access key's secret, or undefined when there is no such (usable) key. */
  secretFor(accessKeyId: string): string | undefined | Promise<string | undefined>;
  replayStore: ReplayStore;
  now?: number;
  maxSkewMs?: number;
}

function header(request: SignedRequest, name: string): string {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === "") {
    throw unauthorized(`signed request is missing the ${name} header`, {
      reason: "missing-header",
    });
  }
  return text;
}

/**
 * Checks a signed request and returns its access key id. The order matters: shape and skew
 * first (cheap), then the signature, and only a valid signature is recorded against replay,
 * so forged requests cannot fill the replay store.
 */
export async function verifySignedRequest(
  request: SignedRequest,
  deps: VerifySignatureDeps,
): Promise<{ accessKeyId: string }> {
  const now = deps.now ?? Date.now();
  const maxSkew = deps.maxSkewMs ?? MAX_CLOCK_SKEW_MS;
  const timestamp = header(request, SIGNATURE_HEADERS.timestamp);
  const accessKeyId = header(request, SIGNATURE_HEADERS.accessKey);
  const given = header(request, SIGNATURE_HEADERS.signature);

  if (!/^[0-9]{1,16}$/.test(timestamp)) {
    throw unauthorized("x-coffer-timestamp must be milliseconds since the epoch", {
      reason: "bad-timestamp",
    });
  }
  if (Math.abs(now - Number(timestamp)) > maxSkew) {
    throw unauthorized(
      "signed request refused: its timestamp is more than 5 minutes off the server's clock",
      {
        reason: "clock-skew",
      },
    );
  }
  if (!ACCESS_KEY_ID_RE.test(accessKeyId)) {
    throw unauthorized("x-coffer-access-key is not an access key id", { reason: "bad-access-key" });
  }
  const secret = await deps.secretFor(accessKeyId);
  if (secret === undefined) {
    throw unauthorized("unknown or disabled access key", { reason: "unknown-access-key" });
  }
  const expected = Buffer.from(
    signature(secret, stringToSign(request.method, request.pathAndQuery, timestamp, accessKeyId)),
  );
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw unauthorized("signed request refused: the signature does not match", {
      reason: "bad-signature",
    });
  }
  // Kept until the first millisecond at which the skew check refuses this timestamp: a replay
  // at exactly timestamp + maxSkew still passes that check, so it must still be remembered.
  const fresh = await deps.replayStore.remember(
    `${accessKeyId}:${given}`,
    Number(timestamp) + maxSkew + 1,
    now,
  );
  if (!fresh) {
    throw unauthorized("signed request refused: this signature was already used", {
      reason: "replay",
    });
  }
  return { accessKeyId };
}
