import {
  randomSecretOptionsSchema,
  compileSchema,
  secretInputs,
  type RandomSecretOptions,
} from "@coffer/core";
import { randomValue } from "../services/random-service.js";
import { authedProcedure, router } from "../trpc.js";
import { optionalInput } from "./input.js";

const createKey = compileSchema<{ makeDefault?: boolean }>({
  type: "object",
  additionalProperties: false,
  properties: { makeDefault: { type: "boolean" } },
});
const randomOptions = compileSchema<RandomSecretOptions>(randomSecretOptionsSchema);

export const keyRouter = router({
  list: authedProcedure
    .input(optionalInput(secretInputs.none))
    .query(({ ctx }) => ctx.services.keys.list(ctx.actor)),
  create: authedProcedure
    .input(optionalInput(createKey))
    .mutation(({ ctx, input }) => ctx.services.keys.create(ctx.actor, ctx.meta, input)),
  rotateRoot: authedProcedure
    .input(optionalInput(secretInputs.none))
    .mutation(({ ctx }) => ctx.services.keys.rotateRoot(ctx.actor, ctx.meta)),
});

export const randomRouter = router({
  /** A mutation: the value must never sit in a cache or an access log's query string. */
  generate: authedProcedure
    .input(optionalInput(randomOptions, "random secret options"))
    .mutation(({ input }) => randomValue(input)),
});
