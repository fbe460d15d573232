import { auditInputs as a } from "@coffer/core";
import { authedProcedure, router } from "../trpc.js";
import { optionalInput } from "./input.js";

export const auditRouter = router({
  list: authedProcedure
    .input(optionalInput(a.list))
    .query(({ ctx, input }) => ctx.services.audit.list(ctx.actor, input)),
  verify: authedProcedure
    .input(optionalInput(a.verify))
    .query(({ ctx, input }) => ctx.services.audit.verify(ctx.actor, input)),
});
