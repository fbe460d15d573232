/** A real Coffer server on a free port (PGlite in a temporary directory), with a movable clock. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readConfig, startServer, type CofferServer } from "@coffer/server";
import { createCofferClient, type CofferClient } from "../client.js";

export interface E2eServer {
  server: CofferServer;
  url: string;
  adminToken: string;
  admin: CofferClient;
  clock: { offsetMs: number };
  as(token: string): CofferClient;
  stop(): Promise<void>;
}

export async function startE2eServer(): Promise<E2eServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coffer-e2e-"));
  const clock = { offsetMs: 0 };
  const config = readConfig(
    { COFFER_PORT: "0", COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: "silent" },
    dataDir,
  );
  const server = await startServer(config, {
    jobs: false,
    now: () => new Date(Date.now() + clock.offsetMs),
  });
  const as = (token: string) => createCofferClient({ url: server.url, token, retries: 0 });
  return {
    server,
    url: server.url,
    adminToken: server.adminToken!,
    admin: as(server.adminToken!),
    clock,
    as,
    async stop() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
