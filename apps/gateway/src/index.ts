/** In-process use of the gateway app (tests, benchmarks); the CLI is main.ts. */
export {
  createGatewayApp,
  startGateway,
  type GatewayApp,
  type GatewayDeps,
  type RunningGateway,
} from "./app.js";
export { ConfigError, checkConfig, loadConfigFile } from "./config.js";
export { createLogger } from "./logger.js";
