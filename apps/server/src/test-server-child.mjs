/**
 * A server process for fault tests (test-processes.ts spawns it; the built dist/ is run, as in
 * production): dist/main.js's start, with start options main.js does not read from its
 * environment, set by test-only variables:
 * - COFFER_TEST_JOBS=off: no background jobs and no hook worker (events stay in the outbox).
 * It prints what main.js prints (where it listens, a first start's admin token) for spawnCoffer.
 */
import process from "node:process";
import { readConfig } from "../dist/env.js";
import { createLogger } from "../dist/logger.js";
import { startServer } from "../dist/server.js";

const config = readConfig();
const log = createLogger(config);
// A test-only switch, deliberately not in env.ts (no operator sets it).
const server = await startServer(config, {
  log,
  // eslint-disable-next-line no-restricted-properties
  jobs: process.env["COFFER_TEST_JOBS"] !== "off",
});
process.stderr.write(`Coffer is listening on ${server.url}, test child\n`);
if (server.adminToken !== undefined) {
  process.stderr.write(`The admin token, shown only this once:\n\n  ${server.adminToken}\n\n`);
}
process.once("SIGTERM", () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
