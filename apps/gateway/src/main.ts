#!/usr/bin/env node
/**
 * `coffer-gateway CONFIG.json` (or COFFER_GATEWAY_CONFIG): the standalone gateway.
 * Exit 2 for a usage or config problem (one line per problem on stderr), 1 when it cannot
 * start for another reason (the port is taken, say). SIGTERM and SIGINT stop it gracefully.
 */
import { ConfigError, loadConfigFile } from "./config.js";
import { EnvError, readEnv } from "./env.js";
import { startGateway } from "./app.js";
import { createLogger } from "./logger.js";

const USAGE = "usage: coffer-gateway CONFIG.json   (or set COFFER_GATEWAY_CONFIG)";

function fail(lines: readonly string[], code: number): never {
  process.stderr.write(lines.map((line) => `${line}\n`).join(""));
  process.exit(code);
}

async function main(): Promise<void> {
  let env;
  try {
    env = readEnv();
  } catch (error) {
    if (error instanceof EnvError) fail([`coffer-gateway: ${error.message}`, USAGE], 2);
    throw error;
  }
  if (env.configPath === undefined) fail([USAGE], 2);
  const label = env.configLabel ?? env.configPath;
  const log = createLogger(env.logLevel);
  let config;
  try {
    // A warning (`vault://` without braces, a file root outside the config's folder) is logged;
    // the gateway starts.
    config = await loadConfigFile(env.configPath, label, (line) => log.warn(line));
  } catch (error) {
    if (error instanceof ConfigError) fail(error.problems, 2);
    throw error;
  }
  if (config.coffer !== undefined && env.cofferToken === undefined) {
    fail(
      [`${label}: /coffer: the coffer backend needs a token: set COFFER_TOKEN (never in the file)`],
      2,
    );
  }

  let gateway;
  try {
    const deps: Parameters<typeof startGateway>[1] = {
      logger: log,
      variables: env.variables,
      configLabel: label,
    };
    if (env.cofferToken !== undefined) deps.cofferToken = env.cofferToken;
    gateway = await startGateway(config, deps);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.problems, 2);
    throw error;
  }
  log.info(
    { url: gateway.url, routes: config.routes.length },
    `coffer-gateway is listening on ${gateway.url}`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, "stopping now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "stopping: no new connections; finishing requests in flight");
    gateway
      .close()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  // An Error's message here comes from node (listen EADDRINUSE…), not from a value.
  const reason = error instanceof Error ? error.message : "unknown error";
  process.stderr.write(`coffer-gateway: could not start: ${reason}\n`);
  process.exit(1);
});
