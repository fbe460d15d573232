/** For tests: the built `coffer` run as a child process, as a user runs it. */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createLogger,
  readConfig,
  startServer,
  type CofferServer,
  type StartOptions,
} from "@coffer/server";
import { tempDir } from "@coffer/test-kit";

export const BIN = fileURLToPath(new URL("../dist/coffer.js", import.meta.url));

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  configDir?: string;
}

/** A bare environment: PATH, HOME and where the login is saved (default `<home>/cfg`). */
export function cliEnv(home: string, configDir?: string): Record<string, string> {
  return {
    PATH: process.env["PATH"] ?? "",
    HOME: home,
    COFFER_CONFIG_DIR: configDir ?? path.join(home, "cfg"),
  };
}

/** Runs `coffer ARGS…` with `home` as HOME; stdin gets `options.stdin` (or nothing). */
export function runCoffer(home: string, args: string[], options: RunOptions = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...cliEnv(home, options.configDir), ...options.env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? "");
  });
}

/** A Coffer server in this process (PGlite under `<home>/server`) and a home for `coffer`. */
export interface TestServer {
  server: CofferServer;
  home: string;
  /** Stops the server and removes the home directory. */
  close(): Promise<void>;
}

/**
 * Starts one; the caller logs `coffer` in as it needs (flag, stdin, …). `env` adds to the
 * server's configuration (COFFER_HOOK_ALLOW_CIDRS, …).
 */
export async function startTestServer(
  prefix: string,
  { env, ...options }: Omit<StartOptions, "log"> & { env?: Record<string, string> } = {},
): Promise<TestServer> {
  const homeDir = await tempDir(prefix);
  const dataDir = path.join(homeDir.dir, "server");
  try {
    const server = await startServer(
      readConfig(
        { COFFER_PORT: "0", COFFER_DATA_DIR: dataDir, COFFER_LOG_LEVEL: "silent", ...env },
        dataDir,
      ),
      { ...options, log: createLogger({ logLevel: "silent" }) },
    );
    return {
      server,
      home: homeDir.dir,
      async close() {
        await server.close();
        await homeDir.remove();
      },
    };
  } catch (error) {
    await homeDir.remove();
    throw error;
  }
}
