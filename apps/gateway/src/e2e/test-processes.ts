/**
 * Real processes for the app's end-to-end tests, on 127.0.0.1, started by @coffer/test-kit:
 * the Coffer server and the gateway app, each its built `main.js` run as a child process.
 */
import { fileURLToPath } from "node:url";
import { spawnCoffer, spawnNode, type CofferProcess, type NodeChild } from "@coffer/test-kit";

/** `apps/server/dist/main.js`, found from where the @coffer/server package resolves. */
const SERVER_MAIN = fileURLToPath(new URL("./main.js", import.meta.resolve("@coffer/server")));
/** This app's built entry point. */
const GATEWAY_MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

/** The Coffer server on a free port with PGlite in `dataDir`; waits for the admin token. */
export function spawnServer(
  dataDir: string,
  logLevel = "info",
): Promise<CofferProcess & { adminToken: string }> {
  return spawnCoffer(SERVER_MAIN, { dataDir, logLevel });
}

/** The gateway app on `config` with exactly `env`, ready once it logged the URL it listens on. */
export async function spawnGateway(
  config: string,
  env: NodeJS.ProcessEnv,
): Promise<NodeChild & { url: string }> {
  const started = await spawnNode(GATEWAY_MAIN, {
    args: [config],
    env,
    ready: [/"url":"(http:\/\/[^"]+)"/],
  });
  return { ...started, url: started.matches[0]! };
}
