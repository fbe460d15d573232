/**
 * What the gateway reads from its environment and command line, here and nowhere else:
 * the config file's path, the Coffer token, the log level, and the variables the `env`
 * backend may read.
 */
import path from "node:path";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface GatewayEnv {
  /** Absolute path of the config file, or undefined when none was given. */
  configPath: string | undefined;
  /** The path as the user wrote it, to name the file in messages. */
  configLabel: string | undefined;
  /** COFFER_TOKEN: the coffer backend's credential; never read from the config file. */
  cofferToken: string | undefined;
  logLevel: LogLevel;
  /** What `{vault://env/…}` references read: the environment at start, without COFFER_TOKEN. */
  variables: Readonly<Record<string, string | undefined>>;
}

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvError";
  }
}

/**
 * Relative paths are read from where the user typed the command: pnpm runs a package's script
 * in the package's folder, and says where it was started in INIT_CWD.
 */
export function readEnv(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  cwd = env["INIT_CWD"] ?? process.cwd(),
): GatewayEnv {
  if (argv.length > 1) throw new EnvError("takes one argument: the config file");
  const given = argv[0] ?? (env["COFFER_GATEWAY_CONFIG"] || undefined);
  const logLevel = (env["LOG_LEVEL"] || "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new EnvError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }
  return {
    configPath: given === undefined ? undefined : path.resolve(cwd, given),
    configLabel: given,
    cofferToken: env["COFFER_TOKEN"] || undefined,
    logLevel,
    // The gateway's own credential is not something to inject into upstream requests.
    variables: Object.fromEntries(Object.entries(env).filter(([name]) => name !== "COFFER_TOKEN")),
  };
}
