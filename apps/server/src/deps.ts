/** What every service and procedure may use: the inner context, wired once in main.ts. */
import type { Keyring } from "@coffer/core";
import type { CredentialCache } from "./auth/credential-cache.js";
import type { ChangeFeed } from "./changes/change-feed.js";
import type { Database } from "./db/database.js";
import type { Config } from "./env.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { ProtectionKeyStore } from "./stores/key-store.js";

export interface Deps {
  db: Database;
  keyring: Keyring;
  protectionKeys: ProtectionKeyStore;
  org: string;
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Secret changes for subscribers, across replicas. */
  changes: ChangeFeed;
  /** Credentials authenticated lately, emptied on every change that may take a right away. */
  credentialCache: CredentialCache;
  /** The active root key (it changes when the root key is rotated). */
  root: { active: Buffer };
  /** The clock; tests move it. */
  now: () => Date;
}
