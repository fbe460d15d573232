/**
 * `coffer run [--env VAR=REF | --env VAR:secret:NAME]… [--volume secret:NAME:PATH]… -- CMD ARGS…`
 *
 * Every reference is fetched in one request; a missing one stops everything before the command
 * starts, naming it. Variables are set for the command; volume files are written with mode 0600
 * (a relative PATH lands in a private temporary directory, exported as COFFER_SECRETS_DIR) and
 * removed when the command ends, also on a signal. Signals are forwarded; the exit code is the
 * command's (128 + the signal's number when it was killed by one).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, rmdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { constants } from "node:os";
import { parseVaultReference, type RevealInput } from "@coffer/core";
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { inheritedEnvironment } from "../env.js";
import { CliError, UsageError } from "../errors.js";

const FORM =
  "coffer run [--env VAR=REF | --env VAR:secret:NAME]… [--volume secret:NAME:PATH]… -- CMD ARGS…";
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A reference as typed: `NAME`, `OWNER/NAME[/KEY]`, `secret:NAME`, with `#N`, or `{vault://coffer/…}`. */
export function revealInputOf(ref: string): RevealInput {
  const bare = ref.startsWith("secret:") && !ref.startsWith("secret://") ? ref.slice(7) : ref;
  if (bare.startsWith("secret://")) return { secret: bare.split("#")[0]!, ...versionOf(bare) };
  const text = bare.startsWith("{vault://") ? bare : `{vault://coffer/${bare}}`;
  const parsed = parseVaultReference(text);
  if (parsed.backend !== "coffer")
    throw new UsageError(`${ref}: coffer run reads coffer references only`, FORM);
  return {
    secret: parsed.resource.join("/"),
    ...(parsed.key !== undefined ? { key: parsed.key } : {}),
    ...(parsed.version !== undefined ? { version: parsed.version } : {}),
    ...(parsed.options["stage"] !== undefined
      ? { stage: parsed.options["stage"] as RevealInput["stage"] & string }
      : {}),
  };
}

function versionOf(uri: string): { version?: number } {
  const hash = uri.indexOf("#");
  return hash === -1 ? {} : { version: Number(uri.slice(hash + 1)) };
}

/** `VAR=REF` or Neu.ro's `VAR:secret:NAME`. */
export function parseEnvOption(text: string): { name: string; ref: string } {
  const eq = text.indexOf("=");
  const colon = text.indexOf(":");
  const cut = eq !== -1 && (colon === -1 || eq < colon) ? eq : colon;
  const name = cut === -1 ? "" : text.slice(0, cut);
  const ref = text.slice(cut + 1);
  if (!ENV_NAME_RE.test(name) || ref === "") {
    throw new UsageError(`--env ${text.split(/[=:]/)[0]}…: write VAR=REF or VAR:secret:NAME`, FORM);
  }
  return { name, ref };
}

/** Neu.ro's `secret:NAME:PATH`. */
export function parseVolumeOption(text: string): { ref: string; file: string } {
  const match = /^secret:([^:]+):(.+)$/.exec(text);
  if (!match) throw new UsageError(`--volume ${text.slice(0, 40)}: write secret:NAME:PATH`, FORM);
  return { ref: match[1]!, file: match[2]! };
}

const collect = (value: string, all: string[]): string[] => [...all, value];

export function registerRun(program: Command, cli: Cli): void {
  program
    .command("run")
    .description("run a command with secrets in its environment and in files")
    .option("--env <spec>", "VAR=REF or VAR:secret:NAME (repeatable)", collect, [] as string[])
    .option(
      "--volume <spec>",
      "secret:NAME:PATH, a file of mode 0600 (repeatable)",
      collect,
      [] as string[],
    )
    .argument("<command...>", "the command and its arguments, after --")
    .passThroughOptions()
    .action(async (command: string[], opts: { env: string[]; volume: string[] }) => {
      const trap = trapSignals();
      try {
        await runWith(cli, command, opts, trap);
      } finally {
        trap.release();
      }
    });
}

async function runWith(
  cli: Cli,
  command: string[],
  opts: { env: string[]; volume: string[] },
  trap: SignalTrap,
): Promise<void> {
  const envs = opts.env.map(parseEnvOption);
  const volumes = opts.volume.map(parseVolumeOption);
  const refs = [...envs.map((e) => e.ref), ...volumes.map((v) => v.ref)];
  const values: string[] = [];
  if (refs.length > 0) {
    const { client } = await cli.connect();
    const results = await client.secret.batchReveal.mutate({ items: refs.map(revealInputOf) });
    const missing = results.flatMap((r, i) =>
      r.ok ? [] : [`${refs[i]} (${r.error.errorCode}: ${r.error.message})`],
    );
    if (missing.length > 0)
      throw new CliError(`not started; cannot read:\n  ${missing.join("\n  ")}`);
    for (const r of results) if (r.ok) values.push(r.value);
  }
  const privateDir = await mkdtemp(path.join(os.tmpdir(), "coffer-run-"));
  const written: string[] = [];
  const madeDirs: string[] = [];
  try {
    for (const [i, v] of volumes.entries()) {
      const file = path.resolve(privateDir, v.file);
      if (!path.isAbsolute(v.file) && !file.startsWith(privateDir + path.sep)) {
        throw new UsageError(
          `--volume ${v.file}: a relative PATH must stay inside the private directory`,
          FORM,
        );
      }
      const first = await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      if (first !== undefined) {
        for (let dir = path.dirname(file); dir.length >= first.length; dir = path.dirname(dir))
          madeDirs.unshift(dir);
      }
      try {
        // "wx": never over an existing file (it would keep its own mode, and be deleted after).
        await writeFile(file, values[envs.length + i]!, { mode: 0o600, flag: "wx" });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") {
          throw new CliError(
            `not started: ${file} already exists; coffer run does not overwrite files`,
          );
        }
        throw error;
      }
      written.push(file);
    }
    const env: NodeJS.ProcessEnv = { ...inheritedEnvironment(), COFFER_SECRETS_DIR: privateDir };
    envs.forEach((e, i) => (env[e.name] = values[i]));
    if (trap.received !== undefined) {
      cli.io.err(`coffer: ${trap.received} before the command started; not started\n`);
      cli.exitCode = signalCode(trap.received);
      return;
    }
    cli.exitCode = await runChild(command, env, trap);
  } finally {
    for (const file of written) await rm(file, { force: true });
    // Folders this run made, deepest first, and only while empty.
    for (const dir of madeDirs.reverse()) await rmdir(dir).catch(() => undefined);
    await rm(privateDir, { recursive: true, force: true });
  }
}

/**
 * Signals from the moment `run` starts: before the command exists they are remembered (and
 * `run` stops, cleaning up, instead of starting it); once it exists they are passed on.
 */
interface SignalTrap {
  child?: ReturnType<typeof spawn>;
  received?: NodeJS.Signals;
  release(): void;
}

function trapSignals(): SignalTrap {
  const trap: SignalTrap = { release: () => undefined };
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const).map(
    (signal) =>
      [
        signal,
        () => {
          if (trap.child) trap.child.kill(signal);
          else trap.received = signal;
        },
      ] as const,
  );
  for (const [signal, handler] of handlers) process.on(signal, handler);
  trap.release = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  return trap;
}

const signalCode = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? 0);

/** Starts the command under the trap and waits for it; the exit code is the command's. */
function runChild(command: string[], env: NodeJS.ProcessEnv, trap: SignalTrap): Promise<number> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = command;
    const child = spawn(file!, args, { stdio: "inherit", env });
    trap.child = child;
    child.on("error", (error: NodeJS.ErrnoException) => {
      reject(
        new CliError(
          `cannot start ${file}: ${error.code === "ENOENT" ? "command not found" : error.message}`,
        ),
      );
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? signalCode(signal) : 1)));
  });
}
