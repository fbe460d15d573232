import { invalidRequest, secretInputs, sessionInputs } from "@coffer/core";
import { SESSION_MAX_MS } from "../auth/session-cookie.js";
import { authedProcedure, publicProcedure, router } from "../trpc.js";
import { input, optionalInput } from "./input.js";

/** The web console's sign-in and sign-out (SPEC §13); any client may call them over HTTP. */
export const sessionRouter = router({
  /** The token comes in the POST body only; the answer sets the session cookie. */
  open: publicProcedure
    .input(input(sessionInputs.open, "sign-in"))
    .mutation(async ({ ctx, input }) => {
      const { authenticateToken, sessionCookie } = ctx;
      if (!authenticateToken || !sessionCookie)
        throw invalidRequest("a session is opened over HTTP");
      const actor = await authenticateToken(input.token);
      const { info, secret } = await ctx.services.sessions.open(actor, ctx.meta);
      sessionCookie.set(secret, SESSION_MAX_MS);
      return info;
    }),
  current: authedProcedure
    .input(optionalInput(secretInputs.none))
    .query(({ ctx }) => ctx.services.sessions.current(ctx.actor)),
  close: authedProcedure.input(optionalInput(secretInputs.none)).mutation(async ({ ctx }) => {
    const ended = await ctx.services.sessions.close(ctx.actor, ctx.meta);
    ctx.sessionCookie?.clear();
    return ended;
  }),
  closeAll: authedProcedure.input(optionalInput(secretInputs.none)).mutation(async ({ ctx }) => {
    const ended = await ctx.services.sessions.closeAll(ctx.actor, ctx.meta);
    ctx.sessionCookie?.clear();
    return ended;
  }),
});
