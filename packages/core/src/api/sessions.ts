/** Request schemas of console sessions (SPEC §13): a session is opened with a personal token. */
import { compileSchema } from "../validation.js";
import { objectSchema } from "./common.js";

export interface OpenSessionInput {
  /** The token, sent only in this POST's body; the session cookie stands for it afterwards. */
  token: string;
}

export const sessionInputs = {
  open: compileSchema<OpenSessionInput>(
    objectSchema({ token: { type: "string", minLength: 1, maxLength: 200 } }, ["token"]),
  ),
} as const;
