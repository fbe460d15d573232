/**
 * `coffer run [-e VAR=REF | -e VAR:secret:NAME]… [-v secret:NAME:PATH]… [--all OWNER[/P*]…
 * [--prefix P]] [--env-file FILE]… [--watch] [--mask] -- CMD ARGS…`
 *
 * Every value is revealed in one request (run-fetch.ts; `--all` lists its owners first, see
 * run-all.ts; references in the environment and in `--env-file`, run-env.ts); a missing one
 * stops everything before the command starts, naming it. `--mask` filters the command's output
 * (run-mask.ts), `--watch` restarts it when a secret changes (run-watch.ts). Variables are set for the command; volume files are written with mode 0600
 * (a relative PATH lands in a private temporary directory, exported as COFFER_SECRETS_DIR) and
 * removed when the command ends, also on a signal. Signals are forwarded; the exit code is the
 * command's (128 + the signal's number when it was killed by one).
 */
import { mkdir, mkdtemp, rm, rmdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { CofferClient } from "@coffer/client";
import { parseVaultReference, type RevealInput } from "@coffer/core";
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { checkPrefix, parseAllSpec } from "./run-all.js";
import { signalCode, startChild, stopChild, trapSignals, type SignalTrap } from "./run-child.js";
import { readEnvFile } from "./run-env.js";
import { fetchInjection, type Injection, type RunRequest } from "./run-fetch.js";
import { maskPatterns, MIN_MASKED, tooShortToMask } from "./run-mask.js";
import { watchChanges } from "./run-watch.js";

const FORM =
  "coffer run [-e VAR=REF | -e VAR:secret:NAME]… [-v secret:NAME:PATH]… [--all OWNER[/P*] [--prefix P]]… [--env-file FILE]… [--watch] [--mask] -- CMD ARGS…";
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

interface RunOptions {
  env: string[];
  volume: string[];
  all: string[];
  prefix?: string;
  envFile: string[];
  watch?: boolean;
  mask?: boolean;
}

const EXAMPLES = `
Examples:
  $ coffer run -e OPENAI_API_KEY=ml/openai_key -- node app.js
  $ coffer run -e DB_PASSWORD:secret:db_password -v secret:gcp_sa:gcp.json -- ./deploy.sh
  $ coffer run --all ml -- node app.js              # every secret of ml: ml/openai_key → OPENAI_KEY
  $ coffer run --all 'ml/openai*' --prefix ML_ -- env
  $ coffer run --env-file .env --mask -- npm test   # .env: API_KEY={vault://coffer/ml/openai_key}
  $ coffer run --all ml --watch -- node server.js   # restarts when one of them changes

References already in the environment (FOO={vault://coffer/ml/key}) are resolved too.`;

export function registerRun(program: Command, cli: Cli): void {
  program
    .command("run")
    .description("run a command with secrets in its environment and in files")
    .option("-e, --env <spec>", "VAR=REF or VAR:secret:NAME (repeatable)", collect, [] as string[])
    .option(
      "-v, --volume <spec>",
      "secret:NAME:PATH, a file of mode 0600 (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--all <owner>",
      "every secret readable there: OWNER, OWNER/* or OWNER/PREFIX* (repeatable)",
      collect,
      [] as string[],
    )
    .option("--prefix <prefix>", "put before the names of --all's variables (ML_)")
    .option(
      "--env-file <file>",
      "a dotenv file; {vault://coffer/…} in its values resolved (repeatable)",
      collect,
      [] as string[],
    )
    .option("--watch", "restart the command when an injected secret changes")
    .option("--mask", "write *** in place of injected values in the command's output")
    .argument("<command...>", "the command and its arguments, after --")
    .passThroughOptions()
    .addHelpText("after", EXAMPLES)
    .action(async (command: string[], opts: RunOptions) => {
      const trap = trapSignals();
      try {
        await runWith(cli, command, opts, trap);
      } finally {
        trap.release();
      }
    });
}

async function requestOf(opts: RunOptions): Promise<RunRequest> {
  const prefix = opts.prefix ?? "";
  checkPrefix(prefix, FORM);
  if (prefix !== "" && opts.all.length === 0)
    throw new UsageError("--prefix names --all's variables: give --all OWNER too", FORM);
  const envs = opts.env.map(parseEnvOption).map((e) => ({ ...e, item: revealInputOf(e.ref) }));
  const volumes = opts.volume
    .map(parseVolumeOption)
    .map((v) => ({ ...v, item: revealInputOf(v.ref) }));
  const envFiles = await Promise.all(
    opts.envFile.map(async (file) => ({ file, vars: await readEnvFile(file) })),
  );
  return { envs, volumes, envFiles, all: opts.all.map((a) => parseAllSpec(a, FORM)), prefix };
}

async function runWith(
  cli: Cli,
  command: string[],
  opts: RunOptions,
  trap: SignalTrap,
): Promise<void> {
  const request = await requestOf(opts);
  let connection: Promise<CofferClient> | undefined;
  const connect = (): Promise<CofferClient> => (connection ??= cli.connect().then((c) => c.client));
  const injection = await fetchInjection(connect, request);
  for (const notice of injection.notices) cli.io.err(`coffer: ${notice}\n`);
  const privateDir = await mkdtemp(path.join(os.tmpdir(), "coffer-run-"));
  try {
    if (!opts.watch) {
      if (stoppedEarly(cli, trap)) return;
      cli.exitCode = await runOnce(cli, command, request, injection, privateDir, opts, trap);
      return;
    }
    cli.exitCode = await runWatching(
      cli,
      await connect(),
      command,
      request,
      injection,
      privateDir,
      opts,
      trap,
    );
  } finally {
    await rm(privateDir, { recursive: true, force: true });
  }
}

/** A signal before the command started: clean up instead of starting it. */
function stoppedEarly(cli: Cli, trap: SignalTrap): boolean {
  if (trap.received === undefined) return false;
  cli.io.err(`coffer: ${trap.received} before the command started; not started\n`);
  cli.exitCode = signalCode(trap.received);
  return true;
}

/** `--mask`'s patterns; values too short to mask are named (never shown). */
function masksOf(cli: Cli, injection: Injection, opts: RunOptions): Buffer[] | undefined {
  if (!opts.mask) return undefined;
  const short = [
    ...new Set(injection.injected.filter((i) => tooShortToMask(i.value)).map((i) => i.to)),
  ];
  if (short.length > 0)
    cli.io.err(
      `coffer: --mask: not masked, shorter than ${MIN_MASKED} characters: ${short.join(", ")}\n`,
    );
  return maskPatterns(injection.injected.map((i) => i.value));
}

const envOf = (injection: Injection, privateDir: string): NodeJS.ProcessEnv => ({
  ...injection.env,
  COFFER_SECRETS_DIR: privateDir,
});

async function runOnce(
  cli: Cli,
  command: string[],
  request: RunRequest,
  injection: Injection,
  privateDir: string,
  opts: RunOptions,
  trap: SignalTrap,
): Promise<number> {
  const cleanup = await writeVolumes(request, injection, privateDir);
  try {
    if (stoppedEarly(cli, trap)) return cli.exitCode;
    return await startChild(
      command,
      envOf(injection, privateDir),
      trap,
      masksOf(cli, injection, opts),
    ).exited;
  } finally {
    await cleanup();
  }
}

/**
 * `--watch`: runs the command; when the change feed says an injected secret changed, fetches
 * again and, if what would be injected differs, stops the command (SIGTERM) and starts it with
 * the new values. Ends when the command ends by itself (or by a signal), with its exit code.
 */
async function runWatching(
  cli: Cli,
  client: CofferClient,
  command: string[],
  request: RunRequest,
  first: Injection,
  privateDir: string,
  opts: RunOptions,
  trap: SignalTrap,
): Promise<number> {
  let current = first;
  let changed = (): void => undefined;
  let change = new Promise<void>((resolve) => (changed = resolve));
  const watched = { secrets: current.secrets, owners: request.all };
  const stop = watchChanges(
    client,
    watched,
    () => changed(),
    (message) => cli.io.err(`coffer: --watch: ${message}; the command keeps running, unwatched\n`),
  );
  try {
    for (;;) {
      const cleanup = await writeVolumes(request, current, privateDir);
      try {
        if (stoppedEarly(cli, trap)) return cli.exitCode;
        const started = startChild(
          command,
          envOf(current, privateDir),
          trap,
          masksOf(cli, current, opts),
        );
        for (;;) {
          const code = await Promise.race([started.exited, change.then(() => undefined)]);
          if (code !== undefined) return code;
          change = new Promise<void>((resolve) => (changed = resolve));
          let next: Injection;
          try {
            next = await fetchInjection(() => Promise.resolve(client), request);
          } catch (error) {
            const why = error instanceof Error ? error.message : "unknown";
            cli.io.err(
              `coffer: --watch: cannot fetch the secrets again (${why}); the command keeps running\n`,
            );
            continue;
          }
          if (trap.received !== undefined) return await started.exited;
          if (sameInjection(next, current)) continue;
          cli.io.err("coffer: a secret changed; restarting the command\n");
          await stopChild(started);
          current = next;
          watched.secrets = next.secrets;
          break;
        }
      } finally {
        await cleanup();
      }
    }
  } finally {
    stop();
  }
}

const sameInjection = (a: Injection, b: Injection): boolean =>
  JSON.stringify([Object.entries(a.env).sort(), a.files]) ===
  JSON.stringify([Object.entries(b.env).sort(), b.files]);

/**
 * Writes the volume files (mode 0600, never over an existing file); returns what removes them
 * and the folders made for them (deepest first, only while empty).
 */
async function writeVolumes(
  request: RunRequest,
  injection: Injection,
  privateDir: string,
): Promise<() => Promise<void>> {
  const written: string[] = [];
  const madeDirs: string[] = [];
  const cleanup = async (): Promise<void> => {
    for (const file of written) await rm(file, { force: true });
    for (const dir of madeDirs.reverse()) await rmdir(dir).catch(() => undefined);
  };
  try {
    for (const [i, v] of request.volumes.entries()) {
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
        await writeFile(file, injection.files[i]!, { mode: 0o600, flag: "wx" });
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
  } catch (error) {
    await cleanup();
    throw error;
  }
  return cleanup;
}
