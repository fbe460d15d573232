/**
 * The command `coffer run` starts: signals trapped from the moment `run` starts and passed on,
 * the exit code the command's (128 + the signal's number when one killed it), and with `--mask`
 * its stdout and stderr through the masking filter (run-mask.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { finished } from "node:stream/promises";
import { CliError } from "../errors.js";
import { maskingStream } from "./run-mask.js";

/**
 * Signals from the moment `run` starts: before the command exists they are remembered (and
 * `run` stops, cleaning up, instead of starting it); once it exists they are passed on.
 */
export interface SignalTrap {
  child?: ChildProcess | undefined;
  received?: NodeJS.Signals;
  release(): void;
}

export function trapSignals(): SignalTrap {
  const trap: SignalTrap = { release: () => undefined };
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const).map(
    (signal) =>
      [
        signal,
        () => {
          trap.received = signal;
          trap.child?.kill(signal);
        },
      ] as const,
  );
  for (const [signal, handler] of handlers) process.on(signal, handler);
  trap.release = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  return trap;
}

export const signalCode = (signal: NodeJS.Signals): number =>
  128 + (constants.signals[signal] ?? 0);

export interface Started {
  child: ChildProcess;
  /** The exit code, once the command has ended and its (masked) output is written. */
  exited: Promise<number>;
}

/** Starts the command under the trap; `mask` (byte patterns) filters its stdout and stderr. */
export function startChild(
  command: string[],
  env: NodeJS.ProcessEnv,
  trap: SignalTrap,
  mask: readonly Buffer[] | undefined,
): Started {
  const [file, ...args] = command;
  const child = spawn(file!, args, {
    stdio: mask ? ["inherit", "pipe", "pipe"] : "inherit",
    env,
  });
  trap.child = child;
  const outputs: Promise<void>[] = [];
  if (mask) {
    for (const [from, to] of [
      [child.stdout!, process.stdout],
      [child.stderr!, process.stderr],
    ] as const) {
      const filter = maskingStream(mask);
      from.pipe(filter).pipe(to, { end: false });
      outputs.push(finished(filter).catch(() => undefined));
    }
  }
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", (error: NodeJS.ErrnoException) => {
      reject(
        new CliError(
          `cannot start ${file}: ${error.code === "ENOENT" ? "command not found" : error.message}`,
        ),
      );
    });
    child.on("exit", (code, signal) => {
      if (trap.child === child) trap.child = undefined;
      const exitCode = code ?? (signal ? signalCode(signal) : 1);
      void Promise.all(outputs).then(() => resolve(exitCode));
    });
  });
  return { child, exited };
}

/** Stops a command being restarted: SIGTERM, then SIGKILL if it has not ended in `graceMs`. */
export async function stopChild(started: Started, graceMs = 10_000): Promise<void> {
  started.child.kill("SIGTERM");
  const timer = setTimeout(() => started.child.kill("SIGKILL"), graceMs);
  await started.exited.catch(() => undefined);
  clearTimeout(timer);
}
