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
} as const;
