/**
 * Rotation (SPEC §11): policies per secret, jobs (run, test, cancel, retry, rollback, jobs)
 * and rotators.
 */
import { rotationInputs, rotationJobInputs, rotatorInputs } from "@coffer/core";
import { authedProcedure, jobProcedure, router } from "../trpc.js";
import { input, optionalInput } from "./input.js";

/** The rotator's side, with a job token (`cfj_…`): see services/rotation-job-callbacks.ts. */
const none = optionalInput(rotationJobInputs.none, "rotation job call");
const rotationJobRouter = router({
  start: jobProcedure
    .input(none)
    .mutation(({ ctx }) => ctx.services.rotationCallbacks.start(ctx.jobToken, ctx.meta)),
  addPending: jobProcedure
    .input(none)
    .mutation(({ ctx }) => ctx.services.rotationCallbacks.addPending(ctx.jobToken, ctx.meta)),
  updatePending: jobProcedure
    .input(input(rotationJobInputs.updatePending, "pending value"))
    .mutation(({ ctx, input }) =>
      ctx.services.rotationCallbacks.updatePending(ctx.jobToken, ctx.meta, input),
    ),
  complete: jobProcedure
    .input(none)
    .mutation(({ ctx }) => ctx.services.rotationCallbacks.complete(ctx.jobToken, ctx.meta)),
  fail: jobProcedure
    .input(input(rotationJobInputs.fail, "job failure"))
    .mutation(({ ctx, input }) =>
      ctx.services.rotationCallbacks.fail(ctx.jobToken, ctx.meta, input),
    ),
  heartbeat: jobProcedure
    .input(none)
    .mutation(({ ctx }) => ctx.services.rotationCallbacks.heartbeat(ctx.jobToken, ctx.meta)),
});

/** An operator's call on a secret's job (`write` on the secret): run, test, cancel, retry, rollback. */
const jobOperator = (call: "run" | "test" | "cancel" | "retry" | "rollback") =>
  authedProcedure
    .input(input(rotationInputs.secret, "rotation"))
    .mutation(({ ctx, input }) => ctx.services.rotationJobs[call](ctx.actor, ctx.meta, input));

export const rotationRouter = router({
  configure: authedProcedure
    .input(input(rotationInputs.configure, "rotation policy"))
    .mutation(({ ctx, input }) =>
      ctx.services.rotationPolicies.configure(ctx.actor, ctx.meta, input),
    ),
  get: authedProcedure
    .input(input(rotationInputs.secret, "rotation"))
    .query(({ ctx, input }) => ctx.services.rotationPolicies.get(ctx.actor, input)),
  setAuto: authedProcedure
    .input(input(rotationInputs.setAuto, "rotation"))
    .mutation(({ ctx, input }) =>
      ctx.services.rotationPolicies.setAuto(ctx.actor, ctx.meta, input),
    ),
  run: jobOperator("run"),
  test: jobOperator("test"),
  cancel: jobOperator("cancel"),
  retry: jobOperator("retry"),
  rollback: jobOperator("rollback"),
  jobs: authedProcedure
    .input(input(rotationInputs.jobs, "rotation jobs listing"))
    .query(({ ctx, input }) => ctx.services.rotationJobs.jobs(ctx.actor, input)),
  job: rotationJobRouter,
});

export const rotatorRouter = router({
  create: authedProcedure
    .input(input(rotatorInputs.create, "rotator"))
    .mutation(({ ctx, input }) => ctx.services.rotators.create(ctx.actor, ctx.meta, input)),
  list: authedProcedure
    .input(optionalInput(rotatorInputs.list, "rotator listing"))
    .query(({ ctx, input }) => ctx.services.rotators.list(ctx.actor, input)),
  get: authedProcedure
    .input(input(rotatorInputs.ref, "rotator"))
    .query(({ ctx, input }) => ctx.services.rotators.get(ctx.actor, input)),
  delete: authedProcedure
    .input(input(rotatorInputs.ref, "rotator"))
    .mutation(({ ctx, input }) => ctx.services.rotators.remove(ctx.actor, ctx.meta, input)),
});
