/**
 * Assembles a Coffer server from its configuration: root keys, storage and migrations,
 * keyring, bootstrap, services, HTTP, jobs. main.ts runs it; tests and benchmarks start it too.
 */
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Keyring } from "@coffer/core";
import { linkPreSealEvents } from "./audit/audit-chain.js";
import { Authenticator } from "./auth/authenticate.js";
import { CredentialCache } from "./auth/credential-cache.js";
import { ChangeFeed } from "./changes/change-feed.js";
import { bootstrap } from "./bootstrap.js";
import { openPglite, openPostgres, type Database } from "./db/database.js";
import { migrate } from "./db/migrate.js";
import type { Deps } from "./deps.js";
import type { Config } from "./env.js";
import { createApp } from "./http/app.js";
import { coreJobs, JobRunner } from "./jobs/jobs.js";
import { RotationExecutor } from "./jobs/rotation-executor.js";
import { rotationScheduleJob } from "./jobs/rotation-schedule.js";
import { HookWorker, type HookWorkerOptions } from "./hooks/hook-worker.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics } from "./metrics.js";
import { ProtectionKeyStore } from "./stores/key-store.js";
import { createStores } from "./stores/stores.js";
import { loadRootKeys } from "./root-key.js";
import { reconcileRootKeys, withRotationLock } from "./root-key-rotation.js";
import type { RotationEngineOptions } from "./services/rotation-job-engine.js";
import { builtInRotators } from "./services/rotators/rotators.js";
import { webhookRotator } from "./services/rotators/webhook-rotator.js";
import { createServices, type Services } from "./services/services.js";
import { createWebhookClient } from "./webhooks/outbound.js";

export interface CofferServer {
  url: string;
  deps: Deps;
  services: Services;
  jobs: JobRunner;
  /** Drives rotation jobs (started with the jobs). */
  rotation: RotationExecutor;
  /** Delivers hook events (started with the jobs). */
  hooks: HookWorker;
  /** Printed once, on the first start only. */
  adminToken?: string;
  /** Set when this start created the root key file. */
  createdRootKeyFile?: string;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  now?: () => Date;
  /** An already open database (tests share one across restarts). */
  db?: Database;
  /** Background jobs on (default) or off (tests drive them). */
  jobs?: boolean;
  /** The rotation engine's knobs: rotators by kind, callback timeout, backoff jitter. */
  rotation?: RotationEngineOptions;
  /** The hook worker's knobs (lease, poll, batch) and the retry jitter's source. */
  hooks?: HookWorkerOptions & { random?: () => number };
}

export async function startServer(
  config: Config,
  options: StartOptions = {},
): Promise<CofferServer> {
  const log = options.log ?? createLogger(config);
  const roots = await loadRootKeys(config);
  const db =
    options.db ??
    (config.databaseUrl !== undefined
      ? openPostgres(config.databaseUrl, { log })
      : await openPglite(path.join(config.dataDir, "db")));
  await migrate(db);
  // Finishes or undoes a rotation a crash interrupted, before any protection key is read.
  const rootKeys = await withRotationLock(db, () => reconcileRootKeys(config, db));
  const keyring = new Keyring(config.org, rootKeys);
  const protectionKeys = new ProtectionKeyStore(db, keyring);
  const changes = new ChangeFeed(db, log);
  await changes.start();
  const credentialCache = new CredentialCache();
  await credentialCache.start(db);
  const deps: Deps = {
    db,
    keyring,
    protectionKeys,
    org: config.org,
    config,
    log,
    metrics: createMetrics(),
    changes,
    credentialCache,
    root: { active: rootKeys[0]! },
    now: options.now ?? (() => new Date()),
  };
  // Before anything writes a sealed event: what a server before audit seals left unlinked.
  await linkPreSealEvents(deps);
  const stores = createStores(deps);
  const { adminToken } = await bootstrap(deps, stores);
  await protectionKeys.loadAll();
  // Webhook rotators (and §12's hooks) call out through one client that refuses private
  // addresses unless COFFER_HOOK_ALLOW_CIDRS names them.
  const webhooks = createWebhookClient({ allowCidrs: config.hookAllowCidrs });
  const services = createServices(
    deps,
    stores,
    {
      ...options.rotation,
      rotators: options.rotation?.rotators ?? {
        ...builtInRotators,
        webhook: webhookRotator(webhooks, deps.now),
      },
    },
    { client: webhooks, ...(options.hooks?.random ? { random: options.hooks.random } : {}) },
  );
  const app = await createApp(deps, services, new Authenticator(deps, stores));
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const jobs = new JobRunner(deps, services, [
    ...coreJobs(deps, stores),
    rotationScheduleJob(deps, stores, services.rotationJobs),
  ]);
  const rotation = new RotationExecutor(deps, services.rotationEngine, {
    leaseMs: config.rotationLeaseMs,
  });
  deps.metrics.rotationJobsActive.count = () => stores.rotationJobs.activeCount(db);
  const hooks = new HookWorker(deps, stores, services.hookAttempts, {
    leaseMs: config.hookLeaseMs,
    ...options.hooks,
  });
  services.deliveries.onDue = () => hooks.wake();
  deps.metrics.hookBacklog.read = () => stores.deliveries.backlog(db);
  if (options.jobs !== false) {
    jobs.start();
    rotation.start();
    hooks.start();
  }
  const { port } = server.address() as AddressInfo;
  const result: CofferServer = {
    url: `http://${config.host}:${port}`,
    deps,
    services,
    jobs,
    rotation,
    hooks,
    async close() {
      jobs.stop();
      await rotation.stop();
      await hooks.stop();
      // Subscriptions end first: their streams would otherwise hold the server open.
      await changes.close();
      await credentialCache.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      server.closeAllConnections();
      await webhooks.close();
      if (options.db === undefined) await db.close();
    },
  };
  if (adminToken !== undefined) result.adminToken = adminToken;
  if (roots.createdFile !== undefined) result.createdRootKeyFile = roots.createdFile;
  return result;
}
