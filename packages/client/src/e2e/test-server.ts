/** A real Coffer server on a free port (PGlite in a temporary directory), with a movable clock. */
import { Writable } from "node:stream";
import { createLogger, readConfig, startServer, type CofferServer } from "@coffer/server";
import { tempDir } from "@coffer/test-kit";
import { createCofferClient, type CofferClient } from "../client.js";

export interface E2eServer {
  server: CofferServer;
  url: string;
  adminToken: string;
  admin: CofferClient;
  clock: { offsetMs: number };
  /** Everything the server logged (at debug level and above). */
  logs(): string;
  as(token: string): CofferClient;
  stop(): Promise<void>;
}

export async function startE2eServer(): Promise<E2eServer> {
  const data = await tempDir("coffer-e2e-");
  const dataDir = data.dir;
  const clock = { offsetMs: 0 };
  const config = readConfig(
    { COFFER_PORT: "0", COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: "silent" },
    dataDir,
  );
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  const server = await startServer(config, {
    jobs: false,
    now: () => new Date(Date.now() + clock.offsetMs),
    log: createLogger({ logLevel: "debug" }, sink),
  });
  const as = (token: string) => createCofferClient({ url: server.url, token, retries: 0 });
  return {
    server,
    url: server.url,
    adminToken: server.adminToken!,
    admin: as(server.adminToken!),
    clock,
    logs: () => lines.join(""),
    as,
    async stop() {
      await server.close();
      await data.remove();
    },
  };
}
