/** The environment the CLI reads, in one place. */
import os from "node:os";
import path from "node:path";

export interface CliEnv {
  /** COFFER_URL: overrides the saved server. */
  url: string | undefined;
  /** COFFER_TOKEN: overrides the saved token. */
  token: string | undefined;
  /** Where `login` saves the server and token (COFFER_CONFIG_DIR, else XDG, else ~/.config). */
  configDir: string;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  const xdg = env["XDG_CONFIG_HOME"] || path.join(os.homedir(), ".config");
  return {
    url: env["COFFER_URL"] || undefined,
    token: env["COFFER_TOKEN"] || undefined,
    configDir: env["COFFER_CONFIG_DIR"] || path.join(xdg, "coffer"),
  };
}

/**
 * The environment a command started by `coffer run` inherits (before secrets are added): this
 * one without any COFFER_ variable (COFFER_TOKEN, COFFER_URL, COFFER_CONFIG_DIR, …), so the
 * command gets only what `--env` and `--volume` ask for, never the caller's credentials.
 */
export function inheritedEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toUpperCase().startsWith("COFFER_")),
  );
}
