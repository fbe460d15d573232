/**
 * The Action run as a GitHub runner runs it, for end-to-end tests (all on 127.0.0.1):
 * - a real Coffer server: `apps/server/dist/main.js` as a child process, PGlite in a temporary
 *   directory, ready once it has logged where it listens and printed the admin token;
 * - the committed bundle `dist/index.js` run with `node`, inputs as `INPUT_*` (over action.yml's
 *   defaults), fresh `GITHUB_ENV`, `GITHUB_OUTPUT` and `GITHUB_STATE` files and `RUNNER_TEMP`;
 *   then its post step as the runner runs it: GITHUB_STATE read back into `STATE_*`;
 * - readers for what the runner reads: the environment files (`name<<DELIMITER` blocks) and
 *   workflow commands (`::add-mask::…`, `::error::…`, with @actions/core's escapes undone);
 * - (a counting proxy, to see how many HTTP requests a run makes: @coffer/test-kit's);
 * - a leak finder: the pieces of values found in a text outside `::add-mask::` commands;
 * - `failureOf`: the one error of a run that must have failed.
 * The server child and the temporary directories come from @coffer/test-kit.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCofferClient, type CofferClient } from "@coffer/client";
import { killOnExit, spawnCoffer, tempDir } from "@coffer/test-kit";
import { expect } from "vitest";
import { inputEnv } from "../test-inputs.js";

/** The committed bundle: what the runner runs. */
export const BUNDLE = fileURLToPath(new URL("../../dist/index.js", import.meta.url));

/** `apps/server/dist/main.js`, found from where the @coffer/server package resolves. */
const SERVER_MAIN = fileURLToPath(new URL("./main.js", import.meta.resolve("@coffer/server")));

export interface CofferProcess {
  url: string;
  adminToken: string;
  /** A client with the admin token, without retries. */
  admin: CofferClient;
  /** A client without retries for any token. */
  as(token: string): CofferClient;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/** Starts `node apps/server/dist/main.js` on a free port with a fresh data directory. */
export async function startCoffer(
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CofferProcess> {
  const data = await tempDir("coffer-action-server-");
  const started = await spawnCoffer(SERVER_MAIN, { dataDir: data.dir, ...options }).catch(
    async (error: unknown) => {
      await data.remove();
      throw error;
    },
  );
  const as = (token: string): CofferClient =>
    createCofferClient({ url: started.url, token, retries: 0 });
  return {
    url: started.url,
    adminToken: started.adminToken,
    admin: as(started.adminToken),
    as,
    output: started.output,
    stop: async () => {
      await started.stop();
      await data.remove();
    },
  };
}

/** Undoes @actions/core's escaping of command data (`%` `\r` `\n` → `%25` `%0D` `%0A`). */
const unescapeData = (data: string): string =>
  data.replaceAll("%0D", "\r").replaceAll("%0A", "\n").replaceAll("%25", "%");

/** A workflow command on one stdout line: `::name props::data`. */
export interface WorkflowCommand {
  name: string;
  data: string;
  /** Its line in stdout (0-based). */
  line: number;
}

export function commandsIn(stdout: string): WorkflowCommand[] {
  return stdout.split(/\r?\n/).flatMap((text, line) => {
    const match = /^::([\w-]+)(?: [^:]*)?::(.*)$/.exec(text);
    return match ? [{ name: match[1]!, data: unescapeData(match[2]!), line }] : [];
  });
}

/** `name<<DELIMITER`, value lines, `DELIMITER` blocks (the last value of a name wins); other lines are skipped. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = /^([^=<]+)<<(.+)$/.exec(lines[i]!);
    if (!start) continue;
    const end = lines.indexOf(start[2]!, i + 1);
    if (end === -1) throw new Error(`unterminated ${start[1]} block in an environment file`);
    values[start[1]!] = lines.slice(i + 1, end).join("\n");
    i = end;
  }
  return values;
}

export interface RunOptions {
  /** Inputs by their action.yml names, over action.yml's defaults. */
  inputs: Record<string, string>;
  /** More environment: ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN for method oidc, say. */
  env?: Record<string, string>;
  /** Runner files to leave unset (to see the action refuse). */
  unset?: ("GITHUB_ENV" | "GITHUB_OUTPUT" | "GITHUB_STATE")[];
  /**
   * stdout, GITHUB_ENV and GITHUB_OUTPUT appended to one file, so `stdout` shows the order in
   * which commands and exports happened (`env` and `outputs` then both read that file).
   */
  interleaved?: boolean;
  /** The working directory (the workspace, on a runner); default a fresh temporary one. */
  cwd?: string;
  /** The files the runner runs for the main and the post step; default BUNDLE for both. */
  entry?: { main: string; post: string };
}

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  /** GITHUB_ENV, GITHUB_OUTPUT and GITHUB_STATE as the runner reads them. */
  env: Record<string, string>;
  outputs: Record<string, string>;
  state: Record<string, string>;
  commands: WorkflowCommand[];
  /** The data of every command with this name, in order. */
  all(name: string): string[];
  /** Runs the post step as the runner does: the same inputs, STATE_* from this run's state. */
  post(): Promise<ActionRun>;
}

async function runBundle(
  options: RunOptions,
  step: "main" | "post",
  stateEnv: Record<string, string>,
): Promise<ActionRun> {
  const work = await tempDir("coffer-action-run-");
  const file = (name: string): string => path.join(work.dir, name);
  const combined = file("stdout+files");
  const files = options.interleaved
    ? { GITHUB_ENV: combined, GITHUB_OUTPUT: combined, GITHUB_STATE: file("state") }
    : { GITHUB_ENV: file("env"), GITHUB_OUTPUT: file("output"), GITHUB_STATE: file("state") };
  for (const name of new Set(Object.values(files))) await writeFile(name, "");
  for (const name of options.unset ?? []) delete (files as Partial<typeof files>)[name];
  const stdoutFd = options.interleaved ? openSync(combined, "a") : undefined;
  try {
    const { code, stdout, stderr } = await new Promise<{
      code: number;
      stdout: string;
      stderr: string;
    }>((resolve, reject) => {
      const child = spawn(process.execPath, [options.entry?.[step] ?? BUNDLE], {
        cwd: options.cwd ?? work.dir,
        env: {
          PATH: process.env["PATH"],
          RUNNER_TEMP: work.dir,
          ...files,
          ...inputEnv(options.inputs),
          ...stateEnv,
          ...options.env,
        },
        stdio: ["ignore", stdoutFd ?? "pipe", "pipe"],
      });
      killOnExit(child);
      let out = "";
      let err = "";
      child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
      child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
      child.once("error", reject);
      child.once("close", (exitCode) => {
        resolve({ code: exitCode ?? -1, stdout: out, stderr: err });
      });
    });
    const read = async (name: string | undefined): Promise<string> =>
      name === undefined ? "" : await readFile(name, "utf8");
    const shown = options.interleaved ? await read(combined) : stdout;
    const state = parseEnvironmentFile(await read(files.GITHUB_STATE));
    const commands = commandsIn(shown);
    return {
      code,
      stdout: shown,
      stderr,
      env: parseEnvironmentFile(await read(files.GITHUB_ENV)),
      outputs: parseEnvironmentFile(await read(files.GITHUB_OUTPUT)),
      state,
      commands,
      all: (name) => commands.filter((c) => c.name === name).map((c) => c.data),
      post: () =>
        runBundle(
          { ...options, interleaved: false },
          "post",
          Object.fromEntries(
            Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]),
          ),
        ),
    };
  } finally {
    if (stdoutFd !== undefined) closeSync(stdoutFd);
    await work.remove();
  }
}

/** Runs the main step of the committed bundle. */
export const runAction = (options: RunOptions): Promise<ActionRun> =>
  runBundle(options, "main", {});

/** The one `::error::` of a run that must have failed (exit code 1). */
export function failureOf(run: Pick<ActionRun, "code" | "all" | "stdout">): string {
  expect(run.code, run.stdout).toBe(1);
  const errors = run.all("error");
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

/** These pieces of values, each followed by its base64 form (both must never be shown). */
export const withBase64 = (pieces: readonly string[]): string[] =>
  pieces.flatMap((piece) => [piece, Buffer.from(piece, "utf8").toString("base64")]);

/** Each piece found in `text` outside `::add-mask::` lines (empty when nothing leaked). */
export function leaksIn(text: string, pieces: readonly string[]): string[] {
  const shown = text
    .split(/\r?\n/)
    .filter((line) => !line.startsWith("::add-mask::"))
    .join("\n");
  return pieces.filter((piece) => shown.includes(piece));
}
