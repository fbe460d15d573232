import { principalInputs as p, secretInputs } from "@coffer/core";
import { authedProcedure, router } from "../trpc.js";
import { input, optionalInput } from "./input.js";

export const userRouter = router({
  whoami: authedProcedure
    .input(optionalInput(secretInputs.none))
    .query(({ ctx }) => ctx.services.principals.whoami(ctx.actor)),
  create: authedProcedure
    .input(input(p.createUser, "user"))
    .mutation(({ ctx, input }) => ctx.services.principals.createUser(ctx.actor, ctx.meta, input)),
  list: authedProcedure
    .input(optionalInput(secretInputs.none))
    .query(({ ctx }) => ctx.services.principals.listUsers(ctx.actor)),
  disable: authedProcedure
    .input(input(p.name))
    .mutation(({ ctx, input }) =>
      ctx.services.principals.setUserStatus(ctx.actor, ctx.meta, input, false),
    ),
  enable: authedProcedure
    .input(input(p.name))
    .mutation(({ ctx, input }) =>
      ctx.services.principals.setUserStatus(ctx.actor, ctx.meta, input, true),
    ),
});

export const teamRouter = router({
  create: authedProcedure
    .input(input(p.name, "team"))
    .mutation(({ ctx, input }) => ctx.services.principals.createTeam(ctx.actor, ctx.meta, input)),
  list: authedProcedure
    .input(optionalInput(secretInputs.none))
    .query(({ ctx }) => ctx.services.principals.listTeams(ctx.actor)),
  members: authedProcedure
    .input(input(p.name))
    .query(({ ctx, input }) => ctx.services.principals.members(ctx.actor, input)),
  addMember: authedProcedure
    .input(input(p.member, "member"))
    .mutation(({ ctx, input }) => ctx.services.principals.addMember(ctx.actor, ctx.meta, input)),
  removeMember: authedProcedure
    .input(input(p.member, "member"))
    .mutation(({ ctx, input }) => ctx.services.principals.removeMember(ctx.actor, ctx.meta, input)),
});
