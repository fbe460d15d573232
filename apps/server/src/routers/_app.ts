/** The whole API; clients import `AppRouter` as a type only. */
import { router } from "../trpc.js";
import { accessKeyRouter } from "./access-keys.js";
import { auditRouter } from "./audit.js";
import { keyRouter, randomRouter } from "./keys.js";
import { grantRouter } from "./grants.js";
import { automationRouter, deliveryRouter, hookRouter } from "./hooks.js";
import { oidcRouter } from "./oidc.js";
import { teamRouter, userRouter } from "./principals.js";
import { rotationRouter, rotatorRouter } from "./rotation.js";
import { secretRouter } from "./secrets.js";
import { sessionRouter } from "./session.js";
import { tokenRouter } from "./tokens.js";

export const appRouter = router({
  user: userRouter,
  team: teamRouter,
  secret: secretRouter,
  grant: grantRouter,
  token: tokenRouter,
  accessKey: accessKeyRouter,
  oidc: oidcRouter,
  audit: auditRouter,
  key: keyRouter,
  random: randomRouter,
  rotation: rotationRouter,
  rotator: rotatorRouter,
  hook: hookRouter,
  automation: automationRouter,
  deliveries: deliveryRouter,
  session: sessionRouter,
});

export type AppRouter = typeof appRouter;
