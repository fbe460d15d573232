/**
 * @coffer/gateway: Express middleware that resolves secret references into requests (SPEC §9),
 * the caching resolver behind it, and its backends (coffer, env, file, and your own).
 */
export { coffer, type CofferMiddleware } from "./middleware.js";
export type { GatewayOptions } from "./options.js";
export { createResolver, DEFAULT_CACHE_MAX, DEFAULT_CACHE_SETTINGS } from "./resolver.js";
export { envBackend, type EnvBackendOptions } from "./env-backend.js";
export { fileBackend, type FileBackendOptions } from "./file-backend.js";
export { fileRootProblem } from "./file-root.js";
export { cofferBackend, type CofferBackendOptions } from "./coffer-backend.js";
export { errorHandler, GatewayError } from "./gateway-error.js";
export type {
  Backend,
  BackendChange,
  CacheOptions,
  CacheSettings,
  CacheStats,
  GatewayResolver,
  ResolverOptions,
} from "./types.js";
