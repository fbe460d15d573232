/** Request schemas of tokens (SPEC §4). */
import type { TokenScope } from "../model/types.js";
import { principalNameSchema, tokenScopesSchema } from "../schemas.js";
import { compileSchema } from "../validation.js";
import { objectSchema } from "./common.js";

export interface CreateTokenInput {
  name: string;
  /** Lifetime in seconds; required (SPEC §4), at most the configured maximum. */
  expiresInSeconds: number;
  /** Defaults to `[{ resource: "*", level: "manage" }]`: whatever the owner holds. */
  scopes?: TokenScope[];
  /** A shared token, made by an admin for a team (`owner`) or, without owner, the org. */
  shared?: { owner?: string };
  /**
   * Tokens only: a personal token for this user, issued by an org admin (recovery of a user
   * locked out). Not with `shared`.
   */
  for?: string;
}
export interface ListTokensInput {
  /** Org admins: this user's personal tokens (never their values). */
  user?: string;
}
export interface TokenIdInput {
  id: string;
}
export interface EnableTokenInput extends TokenIdInput {
  expiresInSeconds: number;
}

const tokenName = {
  type: "string",
  minLength: 1,
  maxLength: 100,
  pattern: "^[^\\u0000-\\u001f]+$",
} as const;
const tokenId = { type: "string", pattern: "^tok_[0-9A-Za-z]{16}$" } as const;
const lifetime = { type: "integer", minimum: 60, maximum: 10 * 366 * 86_400 } as const;

/** Tokens and access keys are made with the same fields (a token may also be `for` a user). */
const credentialFields = {
  name: tokenName,
  expiresInSeconds: lifetime,
  scopes: tokenScopesSchema,
  shared: objectSchema({ owner: principalNameSchema }, []),
} as const;
const createCredential = compileSchema<CreateTokenInput>(
  objectSchema(credentialFields, ["name", "expiresInSeconds"]),
);

export const tokenInputs = {
  create: compileSchema<CreateTokenInput>(
    objectSchema({ ...credentialFields, for: principalNameSchema }, ["name", "expiresInSeconds"]),
  ),
  list: compileSchema<ListTokensInput>(objectSchema({ user: principalNameSchema }, [])),
  id: compileSchema<TokenIdInput>(objectSchema({ id: tokenId }, ["id"])),
  enable: compileSchema<EnableTokenInput>(
    objectSchema({ id: tokenId, expiresInSeconds: lifetime }, ["id", "expiresInSeconds"]),
  ),
} as const;

export type CreateAccessKeyInput = CreateTokenInput;
export interface AccessKeyIdInput {
  id: string;
}

const accessKeyId = { type: "string", pattern: "^cfk_[0-9A-Za-z]{20}$" } as const;

export const accessKeyInputs = {
  create: createCredential,
  id: compileSchema<AccessKeyIdInput>(objectSchema({ id: accessKeyId }, ["id"])),
} as const;
