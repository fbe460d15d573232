/** Hooks, automations and deliveries (SPEC §12); `secret.usedBy` lives with the secrets. */
import { automationInputs, deliveryInputs, hookInputs } from "@coffer/core";
import { authedProcedure, router } from "../trpc.js";
import { input, optionalInput } from "./input.js";

export const hookRouter = router({
  create: authedProcedure
    .input(input(hookInputs.create, "hook"))
    .mutation(({ ctx, input }) => ctx.services.hooks.create(ctx.actor, ctx.meta, input)),
  list: authedProcedure
    .input(optionalInput(hookInputs.list, "hook listing"))
    .query(({ ctx, input }) => ctx.services.hooks.list(ctx.actor, input)),
  get: authedProcedure
    .input(input(hookInputs.ref, "hook"))
    .query(({ ctx, input }) => ctx.services.hooks.get(ctx.actor, input)),
  update: authedProcedure
    .input(input(hookInputs.update, "hook"))
    .mutation(({ ctx, input }) => ctx.services.hooks.update(ctx.actor, ctx.meta, input)),
  delete: authedProcedure
    .input(input(hookInputs.ref, "hook"))
    .mutation(({ ctx, input }) => ctx.services.hooks.remove(ctx.actor, ctx.meta, input)),
  test: authedProcedure
    .input(input(hookInputs.test, "hook test"))
    .mutation(({ ctx, input }) => ctx.services.deliveries.test(ctx.actor, ctx.meta, input)),
});

export const automationRouter = router({
  create: authedProcedure
    .input(input(automationInputs.create, "automation"))
    .mutation(({ ctx, input }) => ctx.services.hooks.createAutomation(ctx.actor, ctx.meta, input)),
  list: authedProcedure
    .input(optionalInput(automationInputs.list, "automation listing"))
    .query(({ ctx, input }) => ctx.services.hooks.listAutomations(ctx.actor, input)),
  delete: authedProcedure
    .input(input(automationInputs.ref, "automation"))
    .mutation(({ ctx, input }) => ctx.services.hooks.removeAutomation(ctx.actor, ctx.meta, input)),
});

export const deliveryRouter = router({
  list: authedProcedure
    .input(optionalInput(deliveryInputs.list, "delivery listing"))
    .query(({ ctx, input }) => ctx.services.deliveries.list(ctx.actor, input)),
  redeliver: authedProcedure
    .input(input(deliveryInputs.redeliver, "delivery"))
    .mutation(({ ctx, input }) => ctx.services.deliveries.redeliver(ctx.actor, ctx.meta, input)),
});
