/**
 * Signed requests for machines (SPEC §4). The caller sends
 * `x-coffer-timestamp` (ms since epoch), `x-coffer-access-key` and
 * `x-coffer-signature` = base64(HMAC-SHA256(secret, METHOD + " " + PATH_AND_QUERY + "\n" +
 * TIMESTAMP + "\n" + ACCESS_KEY)). A request with a body also sends `x-coffer-content-sha256`
 * (hex SHA-256 of the body) and its signed string ends with "\n" + that hash, so a captured
 * signature cannot carry another body. The server refuses a skew over 5 minutes, a body that
 * does not match, and a signature seen before. The server needs the secret itself to check an
 * HMAC, so it keeps it sealed (envelope.ts), never in clear.
 */
import { Buffer } from "node:buffer";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
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

/** Sent (and signed) with every request that has a body: hex SHA-256 of the body's bytes. */
export const CONTENT_SHA256_HEADER = "x-coffer-content-sha256";

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
  contentSha256?: string,
): string {
  const text = `${method.toUpperCase()} ${pathAndQuery}\n${timestamp}\n${accessKeyId}`;
  return contentSha256 === undefined ? text : `${text}\n${contentSha256}`;
}

/** A body's hash as the header carries it; undefined for no body (absent or empty). */
export function contentSha256(body: string | Uint8Array | undefined): string | undefined {
  if (body === undefined || body.length === 0) return undefined;
  return createHash("sha256").update(body).digest("hex");
}

function signature(secret: string, text: string): string {
  return createHmac("sha256", secret).update(text, "utf8").digest("base64");
}

export interface RequestToSign {
  method: string;
  /** The request target as sent: path and query string, e.g. `/trpc/secret.reveal?input=…`. */
  pathAndQuery: string;
  /** The body's exact bytes (a string is sent as UTF-8); none or empty for a request without. */
  body?: string | Uint8Array | undefined;
}

/** Headers that sign one request: the three of SIGNATURE_HEADERS, and the body's hash if any. */
export function signRequest(
  request: RequestToSign,
  key: MintedAccessKey,
  now: number = Date.now(),
): Record<string, string> {
  const timestamp = String(now);
  const hash = contentSha256(request.body);
  const text = stringToSign(request.method, request.pathAndQuery, timestamp, key.accessKeyId, hash);
  return {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.accessKey]: key.accessKeyId,
    [SIGNATURE_HEADERS.signature]: signature(key.secret, text),
    ...(hash === undefined ? {} : { [CONTENT_SHA256_HEADER]: hash }),
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

/** As received; `body` holds the exact bytes the server read (none for a GET). */
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

function optionalHeader(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === "" ? undefined : text;
}

function header(request: SignedRequest, name: string): string {
  const text = optionalHeader(request, name);
  if (text === undefined) {
    throw unauthorized(`signed request is missing the ${name} header`, {
      reason: "missing-header",
    });
  }
  return text;
}

const EMPTY_SHA256 = createHash("sha256").digest("hex");

/**
 * The body's hash the signature must cover, checked against the body received: required when
 * there is a body; when sent without one, it must be the empty body's hash.
 */
function checkedContentHash(request: SignedRequest): string | undefined {
  const given = optionalHeader(request, CONTENT_SHA256_HEADER);
  const actual = contentSha256(request.body);
  if (given === undefined) {
    if (actual === undefined) return undefined;
    throw unauthorized(
      `a signed request with a body must send ${CONTENT_SHA256_HEADER} (hex SHA-256 of the body) and sign it (SPEC §4)`,
      { reason: "missing-content-hash" },
    );
  }
  if (!/^[0-9a-f]{64}$/.test(given)) {
    throw unauthorized(`${CONTENT_SHA256_HEADER} must be 64 lowercase hex digits`, {
      reason: "bad-content-hash",
    });
  }
  if (given !== (actual ?? EMPTY_SHA256)) {
    throw unauthorized(`signed request refused: the body does not match ${CONTENT_SHA256_HEADER}`, {
      reason: "body-mismatch",
    });
  }
  return given;
}
/**
 * Checks a signed request and returns its access key id. The order matters: shape, skew and
 * the body's hash first (cheap), then the signature, and only a valid signature is recorded against replay,
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
  const hash = checkedContentHash(request);
  const secret = await deps.secretFor(accessKeyId);
  if (secret === undefined) {
    throw unauthorized("unknown or disabled access key", { reason: "unknown-access-key" });
  }
  const expected = Buffer.from(
    signature(
      secret,
      stringToSign(request.method, request.pathAndQuery, timestamp, accessKeyId, hash),
    ),
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
