/** For tests: the built `coffer` run as a child process, as a user runs it. */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

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
