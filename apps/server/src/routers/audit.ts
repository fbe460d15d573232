import { auditInputs as a, secretInputs } from "@coffer/core";
import { authedProcedure, router } from "../trpc.js";
import { input } from "./input.js";

export const auditRouter = router({
  list: authedProcedure
    .input(input(a.list))
    .query(({ ctx, input }) => ctx.services.audit.list(ctx.actor, input)),
  verify: authedProcedure
    .input(input(secretInputs.none))
    .query(({ ctx }) => ctx.services.audit.verify(ctx.actor)),
});
