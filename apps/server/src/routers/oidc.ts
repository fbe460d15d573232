import { secretInputs, trustPolicyInputs as p } from "@coffer/core";
import { authedProcedure, publicProcedure, router } from "../trpc.js";
import { input, optionalInput } from "./input.js";

export const oidcRouter = router({
  createPolicy: authedProcedure
    .input(input(p.create, "trust policy"))
    .mutation(({ ctx, input }) => ctx.services.trustPolicies.create(ctx.actor, ctx.meta, input)),
  listPolicies: authedProcedure
    .input(optionalInput(secretInputs.none))
    .query(({ ctx }) => ctx.services.trustPolicies.list(ctx.actor)),
  deletePolicy: authedProcedure
    .input(input(p.identity))
    .mutation(({ ctx, input }) => ctx.services.trustPolicies.remove(ctx.actor, ctx.meta, input)),
  /** No credentials: the ID token is the credential. */
  exchange: publicProcedure
    .input(input(p.exchange, "exchange"))
    .mutation(({ ctx, input }) => ctx.services.oidc.exchange(ctx.meta, input)),
});
