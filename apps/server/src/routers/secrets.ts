import { secretInputs as s, usedByInputs, type SecretChange } from "@coffer/core";
import { can } from "../access.js";
import { secretResource } from "../services/secret-lookup.js";
import { authedProcedure, router } from "../trpc.js";
import { input, optionalInput } from "./input.js";

export const secretRouter = router({
  create: authedProcedure
    .input(input(s.create, "secret"))
    .mutation(({ ctx, input }) => ctx.services.secretWriter.create(ctx.actor, ctx.meta, input)),
  list: authedProcedure
    .input(optionalInput(s.list, "listing"))
    .query(({ ctx, input }) => ctx.services.secretReader.list(ctx.actor, input)),
  describe: authedProcedure
    .input(input(s.secret))
    .query(({ ctx, input }) => ctx.services.secretReader.describe(ctx.actor, input)),
  /** A value leaves only through reveal and batchReveal, which are mutations: audited, never cached. */
  reveal: authedProcedure
    .input(input(s.reveal))
    .mutation(({ ctx, input }) => ctx.services.secretReader.reveal(ctx.actor, ctx.meta, input)),
  batchReveal: authedProcedure
    .input(input(s.batchReveal))
    .mutation(({ ctx, input }) =>
      ctx.services.secretReader.batchReveal(ctx.actor, ctx.meta, input),
    ),
  /**
   * The change feed: `{ uri, version, event }` for every committed change to a secret the
   * caller may list, from any replica. Never a value.
   */
  changes: authedProcedure.input(optionalInput(s.none)).subscription(async function* ({
    ctx,
    signal,
  }): AsyncGenerator<SecretChange> {
    for await (const change of ctx.deps.changes.subscribe(signal)) {
      const resource = secretResource(ctx.deps.org, change.owner, change.ownerKind, change.name);
      if (can(ctx.actor, resource, "list")) {
        yield { uri: change.uri, version: change.version, event: change.event };
      }
    }
  }),
  put: authedProcedure
    .input(input(s.put, "new version"))
    .mutation(({ ctx, input }) => ctx.services.secretWriter.put(ctx.actor, ctx.meta, input)),
  versions: authedProcedure
    .input(input(s.secret))
    .query(({ ctx, input }) => ctx.services.secretReader.versions(ctx.actor, input)),
  moveStage: authedProcedure
    .input(input(s.moveStage))
    .mutation(({ ctx, input }) => ctx.services.secretWriter.moveStage(ctx.actor, ctx.meta, input)),
  rollback: authedProcedure
    .input(input(s.secret))
    .mutation(({ ctx, input }) => ctx.services.secretWriter.rollback(ctx.actor, ctx.meta, input)),
  disable: authedProcedure
    .input(input(s.disable))
    .mutation(({ ctx, input }) =>
      ctx.services.secretWriter.setEnabled(ctx.actor, ctx.meta, input, false),
    ),
  enable: authedProcedure
    .input(input(s.secret))
    .mutation(({ ctx, input }) =>
      ctx.services.secretWriter.setEnabled(ctx.actor, ctx.meta, input, true),
    ),
  delete: authedProcedure
    .input(input(s.delete))
    .mutation(({ ctx, input }) => ctx.services.secretWriter.delete(ctx.actor, ctx.meta, input)),
  restore: authedProcedure
    .input(input(s.secret))
    .mutation(({ ctx, input }) => ctx.services.secretWriter.restore(ctx.actor, ctx.meta, input)),
  setDescription: authedProcedure
    .input(input(s.description))
    .mutation(({ ctx, input }) =>
      ctx.services.secretWriter.setDescription(ctx.actor, ctx.meta, input),
    ),
  changeProtectionKey: authedProcedure
    .input(input(s.protectionKey))
    .mutation(({ ctx, input }) =>
      ctx.services.secretWriter.changeProtectionKey(ctx.actor, ctx.meta, input),
    ),
  whereUsed: authedProcedure
    .input(input(s.secret))
    .query(({ ctx, input }) => ctx.services.secretReader.whereUsed(ctx.actor, input)),
  /** The hooks, automations and rotators that name the secret (SPEC §12). */
  usedBy: authedProcedure
    .input(input(usedByInputs.secret))
    .query(({ ctx, input }) => ctx.services.hooks.usedBy(ctx.actor, input)),
});
