/** `pnpm start`: Coffer on 127.0.0.1:7700 with embedded PostgreSQL in ./.coffer by default. */
import { ConfigError, readConfig } from "./env.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";

async function main(): Promise<void> {
  let config;
  try {
    config = readConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`coffer: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config);
  const server = await startServer(config, { log });
  const storage =
    config.databaseUrl !== undefined
      ? "PostgreSQL (DATABASE_URL)"
      : `embedded PostgreSQL in ${config.dataDir}`;
  log.info(
    { url: server.url, org: config.org },
    `Coffer is listening on ${server.url}, ${storage}`,
  );
  if (server.createdRootKeyFile !== undefined) {
    process.stdout.write(
      `\nCreated the root key at ${server.createdRootKeyFile} (mode 0600). Back it up: without it no secret can be read.\n`,
    );
  }
  if (server.adminToken !== undefined) {
    process.stdout.write(
      `\nFirst start: created the org "${config.org}" and the user "admin". Its token, shown only this once:\n\n  ${server.adminToken}\n\nLog in with: coffer login --url ${server.url} --token <the token above>\n\n`,
    );
  }
  const stop = (signal: string): void => {
    log.info({ signal }, "stopping");
    server
      .close()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `coffer: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
