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
} as const;
