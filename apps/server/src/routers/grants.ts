import { grantInputs as g } from "@coffer/core";
import { authedProcedure, router } from "../trpc.js";
import { input, optionalInput } from "./input.js";

export const grantRouter = router({
  share: authedProcedure
    .input(input(g.share, "grant"))
    .mutation(({ ctx, input }) => ctx.services.grants.share(ctx.actor, ctx.meta, input)),
  unshare: authedProcedure
    .input(input(g.unshare, "grant"))
    .mutation(({ ctx, input }) => ctx.services.grants.unshare(ctx.actor, ctx.meta, input)),
  list: authedProcedure
    .input(optionalInput(g.list))
    .query(({ ctx, input }) => ctx.services.grants.list(ctx.actor, input)),
});
