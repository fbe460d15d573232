/** Request schemas of users, teams and their members. */
import type { TeamRole } from "../model/types.js";
import { principalNameSchema } from "../schemas.js";
import { compileSchema } from "../validation.js";
import { objectSchema } from "./common.js";

export interface CreateUserInput {
  name: string;
  admin?: boolean;
}
export interface NameInput {
  name: string;
}
export interface MemberInput {
  team: string;
  user: string;
  role?: TeamRole;
}

export const principalInputs = {
  createUser: compileSchema<CreateUserInput>(
    objectSchema({ name: principalNameSchema, admin: { type: "boolean" } }, ["name"]),
  ),
  name: compileSchema<NameInput>(objectSchema({ name: principalNameSchema }, ["name"])),
  member: compileSchema<MemberInput>(
    objectSchema(
      {
        team: principalNameSchema,
        user: principalNameSchema,
        role: { type: "string", enum: ["admin", "member"] },
      },
      ["team", "user"],
    ),
  ),
} as const;
