import { accessKeyInputs as k, secretInputs } from "@coffer/core";
import { authedProcedure, router } from "../trpc.js";
import { input, optionalInput } from "./input.js";

export const accessKeyRouter = router({
  create: authedProcedure
    .input(input(k.create, "access key"))
    .mutation(({ ctx, input }) => ctx.services.accessKeys.create(ctx.actor, ctx.meta, input)),
  list: authedProcedure
    .input(optionalInput(secretInputs.none))
    .query(({ ctx }) => ctx.services.accessKeys.list(ctx.actor)),
  disable: authedProcedure
    .input(input(k.id))
    .mutation(({ ctx, input }) => ctx.services.accessKeys.disable(ctx.actor, ctx.meta, input)),
  delete: authedProcedure
    .input(input(k.id))
    .mutation(({ ctx, input }) => ctx.services.accessKeys.remove(ctx.actor, ctx.meta, input)),
});
