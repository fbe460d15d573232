/** Request schemas of the audit log. */
import { compileSchema } from "../validation.js";
import { dateTimeSchema, objectSchema, pageSchema, secretRefSchema } from "./common.js";

export interface ListAuditInput {
  secret?: string;
  actor?: string;
  action?: string;
  /** RFC 3339 time (`2026-01-31T12:00:00Z`, or a date for midnight UTC); events at or after it. */
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
        since: dateTimeSchema,
        ...pageSchema,
      },
      [],
    ),
  ),
  verify: compileSchema<VerifyAuditInput>(objectSchema({ expectHead: auditHeadSchema }, [])),
} as const;
