/**
 * Verifies an OIDC ID token with jose: signature against the issuer's keys, `iss`, `aud`,
 * `exp`, `nbf` and `iat` (present, not in the future, at most an hour old), with a minute of
 * clock tolerance. Every refusal is UNAUTHORIZED with a message that says what was wrong with
 * the token, never the token itself.
 */
import { CofferError, findUnstorableText, unauthorized } from "@coffer/core";
import { decodeJwt, errors, jwtVerify, type JWTPayload } from "jose";
import type { IssuerKeys } from "./issuer-keys.js";

/** Asymmetric algorithms only: an issuer's public keys cannot sign an HMAC token. */
const ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "EdDSA",
];
const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_TOKEN_AGE_SECONDS = 3600;
/** As a policy's issuer: a longer one is nobody's, and is not worth writing to the audit log. */
const MAX_ISSUER_LENGTH = 512;

/**
 * The issuer a token claims, read before it is verified (to know whose keys to use). The token
 * is refused if any claim holds text that cannot be stored (a NUL or a lone surrogate).
 */
export function claimedIssuer(token: string): string {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(token);
  } catch {
    throw unauthorized("the ID token is not a readable JWT", { reason: "oidc-malformed" });
  }
  if (typeof payload.iss !== "string" || payload.iss === "") {
    throw unauthorized("the ID token has no issuer (iss)", { reason: "oidc-malformed" });
  }
  if (payload.iss.length > MAX_ISSUER_LENGTH) {
    throw unauthorized("the ID token's issuer (iss) is too long", { reason: "oidc-malformed" });
  }
  // Its claims go to the database (issuer lookup, audit event): text PostgreSQL cannot store
  // as sent is refused here, whether or not the token would verify.
  const bad = findUnstorableText(payload);
  if (bad !== undefined) {
    throw unauthorized(`the ID token's claim ${JSON.stringify(bad.path)} ${bad.problem}`, {
      reason: "oidc-malformed",
    });
  }
  return payload.iss;
}

export interface VerifyOptions {
  issuer: string;
  /** The token's `aud` must hold one of these. */
  audiences: readonly string[];
  now: Date;
}

export async function verifyIdToken(
  token: string,
  keys: IssuerKeys,
  options: VerifyOptions,
): Promise<JWTPayload> {
  const keySet = await keys.keysOf(options.issuer);
  try {
    const { payload } = await jwtVerify(token, keySet, {
      issuer: options.issuer,
      audience: [...options.audiences],
      algorithms: ALGORITHMS,
      requiredClaims: ["exp", "iat"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: MAX_TOKEN_AGE_SECONDS,
      currentDate: options.now,
    });
    return payload;
  } catch (error) {
    throw refusal(error, options);
  }
}

function refusal(error: unknown, options: VerifyOptions): CofferError {
  const refuse = (message: string, reason: string) =>
    unauthorized(message, { reason: `oidc-${reason}`, issuer: options.issuer });
  if (error instanceof CofferError) return error;
  if (error instanceof errors.JWTExpired) {
    return error.claim === "iat"
      ? refuse("the ID token was issued more than an hour ago", "too-old")
      : refuse("the ID token has expired", "expired");
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "aud":
        return refuse(
          `the ID token's audience (${JSON.stringify(error.payload.aud ?? null)}) is not one this server trusts for issuer ${options.issuer}`,
          "audience",
        );
      case "nbf":
        return refuse("the ID token is not valid yet (nbf)", "not-yet-valid");
      case "iat":
        return refuse("the ID token is issued in the future (iat)", "issued-in-future");
      default:
        return refuse(`the ID token's "${error.claim}" claim is wrong: ${error.reason}`, "claims");
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return refuse(
      `the ID token's signature does not verify with the keys of ${options.issuer}`,
      "signature",
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return refuse(`no signing key of ${options.issuer} matches the ID token`, "signature");
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return refuse(
      "the ID token's algorithm is not accepted (asymmetric signatures only)",
      "algorithm",
    );
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new CofferError(
      "INTERNAL_SERVER_ERROR",
      `could not get the signing keys of issuer ${options.issuer}`,
      {
        issuer: options.issuer,
      },
    );
  }
  if (error instanceof errors.JOSEError) {
    return refuse("the ID token is not a valid signed JWT", "malformed");
  }
  return new CofferError(
    "INTERNAL_SERVER_ERROR",
    `could not verify the ID token of ${options.issuer}`,
    {
      issuer: options.issuer,
    },
  );
}
