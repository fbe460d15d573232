/** What other workspace packages may import: the router's type, and a way to start a server. */
export type { AppRouter } from "./routers/_app.js";
export { readConfig, type Config } from "./env.js";
export { startServer, type CofferServer, type StartOptions } from "./server.js";
export { appRouter } from "./routers/_app.js";
export { createLogger } from "./logger.js";
