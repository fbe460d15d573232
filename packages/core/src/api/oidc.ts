/** Request schemas of OIDC federation (SPEC §4): trust policies and the token exchange. */
import type { TokenScope } from "../model/types.js";
import type { ClaimConditions } from "../oidc/claim-conditions.js";
import { descriptionSchema, principalNameSchema, tokenScopesSchema } from "../schemas.js";
import { compileSchema } from "../validation.js";
import { objectSchema } from "./common.js";

/** An exchanged token lives 15 minutes unless its policy says otherwise, at most an hour. */
export const DEFAULT_EXCHANGED_TOKEN_SECONDS = 900;
export const MAX_EXCHANGED_TOKEN_SECONDS = 3600;
export const MAX_ID_TOKEN_LENGTH = 16_384;

export interface CreateTrustPolicyInput {
  /** The policy's name, which a workflow asks for (`identity:` in the Action). */
  identity: string;
  description?: string;
  /** Compared exactly with the token's `iss`; https (http on loopback only). */
  issuer: string;
  /** Must be one of the token's `aud`. */
  audience: string;
  /** Claim → pattern(s) (`*` = any run of characters); every claim must match one. */
  conditions: ClaimConditions;
  /** The team the exchanged token acts for; without it, the org (as shared tokens). */
  owner?: string;
  /**
   * Secret scopes (`secret://ORG/OWNER/NAME` or `…/OWNER/*`), never `*`: a CI job reads and
   * writes secrets, it does not administer (only `*` covers users, teams, tokens and policies).
   * Never more than the owner holds.
   */
  scopes: TokenScope[];
  /** Lifetime of exchanged tokens (default 900 s, at most 3600 s). */
  tokenTtlSeconds?: number;
}

export interface TrustPolicyIdInput {
  identity: string;
}

export interface ExchangeInput {
  /** The OIDC ID token (a JWT) from the issuer. */
  token: string;
  /** The policy to use; may be left out when exactly one policy matches the token. */
  identity?: string;
}

const identitySchema = { type: "string", pattern: "^[a-z][a-z0-9-]{0,62}$" } as const;
const claimNameSchema = "^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$";
const patternSchema = { type: "string", minLength: 1, maxLength: 512 } as const;

export const trustPolicyInputs = {
  create: compileSchema<CreateTrustPolicyInput>(
    objectSchema(
      {
        identity: identitySchema,
        description: descriptionSchema,
        issuer: { type: "string", minLength: 8, maxLength: 512 },
        audience: { type: "string", minLength: 1, maxLength: 512 },
        conditions: {
          type: "object",
          minProperties: 1,
          maxProperties: 20,
          propertyNames: { pattern: claimNameSchema },
          additionalProperties: {
            anyOf: [
              patternSchema,
              { type: "array", minItems: 1, maxItems: 50, items: patternSchema },
            ],
          },
        },
        owner: principalNameSchema,
        scopes: tokenScopesSchema,
        tokenTtlSeconds: { type: "integer", minimum: 60, maximum: MAX_EXCHANGED_TOKEN_SECONDS },
      },
      ["identity", "issuer", "audience", "conditions", "scopes"],
    ),
  ),
  identity: compileSchema<TrustPolicyIdInput>(
    objectSchema({ identity: identitySchema }, ["identity"]),
  ),
  exchange: compileSchema<ExchangeInput>(
    objectSchema(
      {
        token: {
          type: "string",
          maxLength: MAX_ID_TOKEN_LENGTH,
          pattern: "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
        },
        identity: identitySchema,
      },
      ["token"],
    ),
  ),
} as const;
