/** Request schemas of the audit log. */
import { compileSchema } from "../validation.js";
import { objectSchema, pageSchema, secretRefSchema } from "./common.js";

export interface ListAuditInput {
  secret?: string;
  actor?: string;
  action?: string;
  /** ISO 8601 time; events at or after it. */
  since?: string;
  limit?: number;
  cursor?: string;
}

/** A chain head read before (a verify's `head`): the chain must still hold it. */
export interface AuditHead {
  seq: number;
  /** The link of event `seq`: 64 hex digits. */
  digest: string;
}

export interface VerifyAuditInput {
  expectHead?: AuditHead;
}

export const auditHeadSchema = objectSchema(
  {
    seq: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    digest: { type: "string", pattern: "^[0-9a-f]{64}$" },
  },
  ["seq", "digest"],
);

export const auditInputs = {
  list: compileSchema<ListAuditInput>(
    objectSchema(
      {
        secret: secretRefSchema,
        actor: { type: "string", maxLength: 64 },
        action: { type: "string", maxLength: 64 },
        since: { type: "string", maxLength: 40, pattern: "^\\d{4}-\\d{2}-\\d{2}" },
        ...pageSchema,
      },
      [],
    ),
  ),
  verify: compileSchema<VerifyAuditInput>(objectSchema({ expectHead: auditHeadSchema }, [])),
} as const;
