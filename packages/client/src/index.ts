export {
  createCofferClient,
  toCofferError,
  type ClientOptions,
  type CofferClient,
} from "./client.js";
export { retryingFetch, type RetryOptions } from "./retrying-fetch.js";
