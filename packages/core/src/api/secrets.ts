/** Request schemas and types of the secrets API (SPEC §7). */
import {
  MAX_BATCH_REVEAL,
  MAX_JSON_KEY_LENGTH,
  MAX_RECOVERY_DAYS,
  MIN_RECOVERY_DAYS,
} from "../model/limits.js";
import type { RandomSecretOptions, Stage } from "../model/types.js";
import {
  descriptionSchema,
  principalNameSchema,
  randomSecretOptionsSchema,
  secretValueSchema,
} from "../schemas.js";
import { compileSchema } from "../validation.js";
import {
  emptyInputSchema,
  objectSchema,
  pageSchema,
  secretRefSchema,
  versionSchema,
} from "./common.js";

const stageSchema = { type: "string", enum: ["current", "previous", "pending"] } as const;
const keySchema = { type: "string", minLength: 1, maxLength: MAX_JSON_KEY_LENGTH } as const;

export interface SecretInput {
  secret: string;
}
export interface CreateSecretInput extends SecretInput {
  value?: string;
  generate?: RandomSecretOptions;
  description?: string;
}
export interface ListSecretsInput {
  owner?: string;
  shared?: boolean;
  prefix?: string;
  limit?: number;
  cursor?: string;
}
export interface RevealInput extends SecretInput {
  version?: number;
  stage?: Stage;
  key?: string;
}
export interface BatchRevealInput {
  items: RevealInput[];
}
export interface PutSecretInput extends SecretInput {
  value?: string;
  generate?: RandomSecretOptions;
  /** Check-and-set: refused with INVALID_STATUS unless the current version is this one. */
  expectedVersion?: number;
  /** `pending` stores the version without making it current (rotation in two steps). */
  stage?: "current" | "pending";
}
export interface MoveStageInput extends SecretInput {
  stage: Stage;
  version: number;
}
export interface DeleteSecretInput extends SecretInput {
  recoveryDays?: number;
  force?: boolean;
  /**
   * Deletes a secret that hooks, automations or rotators name (SPEC §12, `secret.usedBy`):
   * without it, such a delete is refused with INVALID_STATUS naming them.
   */
  acknowledgeUsedBy?: boolean;
}
export interface DisableSecretInput extends SecretInput {
  /** As for delete: disabling a secret in use is refused unless acknowledged. */
  acknowledgeUsedBy?: boolean;
}
export interface DescriptionInput extends SecretInput {
  description: string;
}
export interface ProtectionKeyChangeInput extends SecretInput {
  protectionKeyId: string;
}

const revealItem = objectSchema(
  { secret: secretRefSchema, version: versionSchema, stage: stageSchema, key: keySchema },
  ["secret"],
);

export const secretInputs = {
  secret: compileSchema<SecretInput>(objectSchema({ secret: secretRefSchema }, ["secret"])),
  create: compileSchema<CreateSecretInput>(
    objectSchema(
      {
        secret: secretRefSchema,
        value: secretValueSchema,
        generate: randomSecretOptionsSchema,
        description: descriptionSchema,
      },
      ["secret"],
    ),
  ),
  list: compileSchema<ListSecretsInput>(
    objectSchema(
      {
        owner: principalNameSchema,
        shared: { type: "boolean" },
        prefix: { type: "string", maxLength: 128 },
        ...pageSchema,
      },
      [],
    ),
  ),
  reveal: compileSchema<RevealInput>(revealItem),
  batchReveal: compileSchema<BatchRevealInput>(
    objectSchema(
      { items: { type: "array", minItems: 1, maxItems: MAX_BATCH_REVEAL, items: revealItem } },
      ["items"],
    ),
  ),
  put: compileSchema<PutSecretInput>(
    objectSchema(
      {
        secret: secretRefSchema,
        value: secretValueSchema,
        generate: randomSecretOptionsSchema,
        expectedVersion: versionSchema,
        stage: { type: "string", enum: ["current", "pending"] },
      },
      ["secret"],
    ),
  ),
  moveStage: compileSchema<MoveStageInput>(
    objectSchema({ secret: secretRefSchema, stage: stageSchema, version: versionSchema }, [
      "secret",
      "stage",
      "version",
    ]),
  ),
  delete: compileSchema<DeleteSecretInput>(
    objectSchema(
      {
        secret: secretRefSchema,
        recoveryDays: { type: "integer", minimum: MIN_RECOVERY_DAYS, maximum: MAX_RECOVERY_DAYS },
        force: { type: "boolean" },
        acknowledgeUsedBy: { type: "boolean" },
      },
      ["secret"],
    ),
  ),
  disable: compileSchema<DisableSecretInput>(
    objectSchema({ secret: secretRefSchema, acknowledgeUsedBy: { type: "boolean" } }, ["secret"]),
  ),
  description: compileSchema<DescriptionInput>(
    objectSchema({ secret: secretRefSchema, description: descriptionSchema }, [
      "secret",
      "description",
    ]),
  ),
  protectionKey: compileSchema<ProtectionKeyChangeInput>(
    objectSchema(
      {
        secret: secretRefSchema,
        protectionKeyId: { type: "string", pattern: "^pk_[A-Za-z0-9_-]{1,64}$" },
      },
      ["secret", "protectionKeyId"],
    ),
  ),
  none: compileSchema<Record<string, never>>(emptyInputSchema),
} as const;
