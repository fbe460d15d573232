/** Request schemas of sharing. */
import type { Level } from "../model/types.js";
import { levelSchema, principalNameSchema } from "../schemas.js";
import { compileSchema } from "../validation.js";
import { objectSchema, secretRefSchema } from "./common.js";

export interface ShareInput {
  /** `NAME`, `OWNER/NAME`, a secret URI, `OWNER/*` or `secret://ORG/OWNER/*`. */
  resource: string;
  subject: string;
  level?: Level;
}
export interface UnshareInput {
  resource: string;
  subject: string;
}
export interface ListGrantsInput {
  direction?: "byMe" | "toMe";
  /**
   * Everyone's grants on this secret (`NAME`, `OWNER/NAME` or a URI): those naming it and its
   * owner's `OWNER/*`; needs `manage` on it. Not with `direction`.
   */
  secret?: string;
}

export const grantInputs = {
  share: compileSchema<ShareInput>(
    objectSchema({ resource: secretRefSchema, subject: principalNameSchema, level: levelSchema }, [
      "resource",
      "subject",
    ]),
  ),
  unshare: compileSchema<UnshareInput>(
    objectSchema({ resource: secretRefSchema, subject: principalNameSchema }, [
      "resource",
      "subject",
    ]),
  ),
  list: compileSchema<ListGrantsInput>(
    objectSchema(
      { direction: { type: "string", enum: ["byMe", "toMe"] }, secret: secretRefSchema },
      [],
    ),
  ),
} as const;
