import { secretInputs, tokenInputs as t } from "@coffer/core";
import { authedProcedure, router } from "../trpc.js";
import { input, optionalInput } from "./input.js";

export const tokenRouter = router({
  create: authedProcedure
    .input(input(t.create, "token"))
    .mutation(({ ctx, input }) => ctx.services.tokens.create(ctx.actor, ctx.meta, input)),
  list: authedProcedure
    .input(optionalInput(t.list))
    .query(({ ctx, input }) => ctx.services.tokens.list(ctx.actor, input)),
  disable: authedProcedure
    .input(input(t.id))
    .mutation(({ ctx, input }) => ctx.services.tokens.disable(ctx.actor, ctx.meta, input)),
  enable: authedProcedure
    .input(input(t.enable))
    .mutation(({ ctx, input }) => ctx.services.tokens.enable(ctx.actor, ctx.meta, input)),
  /** The calling token ends itself. */
  revokeSelf: authedProcedure
    .input(optionalInput(secretInputs.none))
    .mutation(({ ctx }) => ctx.services.tokens.revokeSelf(ctx.actor, ctx.meta)),
  delete: authedProcedure
    .input(input(t.id))
    .mutation(({ ctx, input }) => ctx.services.tokens.remove(ctx.actor, ctx.meta, input)),
});
