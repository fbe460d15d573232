/**
 * The `coffer` program: SPEC §8. Builds the commands, runs one, and turns any failure into
 * one line on stderr and an exit code (2 for usage, 1 for the rest). A value is printed only
 * by `secret get`.
 */
import { Command, CommanderError } from "commander";
import { registerAccessKey } from "./commands/access-key.js";
import { registerAdmin } from "./commands/admin.js";
import { registerAutomation } from "./commands/automation.js";
import { registerCompletion } from "./commands/completion.js";
import { registerDeliveries } from "./commands/deliveries.js";
import { registerHook } from "./commands/hook.js";
import { registerKey } from "./commands/key.js";
import { registerLogin } from "./commands/login.js";
import { registerOidc } from "./commands/oidc.js";
import { registerRotationCommands } from "./commands/rotation.js";
import { registerRun } from "./commands/run.js";
import { registerSecret } from "./commands/secret.js";
import { registerSharing } from "./commands/sharing.js";
import { registerTeam } from "./commands/team.js";
import { registerToken } from "./commands/token.js";
import type { Cli } from "./context.js";
import { CliError, UsageError } from "./errors.js";
import { describeFailure } from "./failure.js";

/** The package's version, set by the bundler (scripts/bundle.mjs). */
declare const __COFFER_VERSION__: string | undefined;
const VERSION = typeof __COFFER_VERSION__ === "string" ? __COFFER_VERSION__ : "0.0.0-dev";

export function buildProgram(cli: Cli): Command {
  const program = new Command("coffer")
    .description("Coffer: keep secrets, share them, use them where they are needed")
    .version(VERSION, "-V, --version", "print the version")
    .showHelpAfterError("(run with --help for usage)")
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => cli.io.out(s), writeErr: (s) => cli.io.err(s) });
  registerLogin(program, cli);
  registerSecret(program, cli);
  registerSharing(program, cli);
  registerToken(program, cli);
  registerAdmin(program, cli);
  registerTeam(program, cli);
  registerKey(program, cli);
  registerAccessKey(program, cli);
  registerOidc(program, cli);
  registerRotationCommands(program, cli);
  registerHook(program, cli);
  registerAutomation(program, cli);
  registerDeliveries(program, cli);
  registerRun(program, cli);
  registerCompletion(program, cli);
  return program;
}

/** Runs `argv` (without node and the script) and returns the exit code. */
export async function main(cli: Cli, argv: readonly string[]): Promise<number> {
  const program = buildProgram(cli);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return cli.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2; // help and version exit 0; usage errors 2
    }
    if (error instanceof UsageError) {
      cli.io.err(
        `coffer: ${error.message}\n${error.hint !== undefined ? `usage: ${error.hint}\n` : ""}`,
      );
      return 2;
    }
    if (error instanceof CliError) {
      cli.io.err(`coffer: ${error.message}\n`);
      return 1;
    }
    cli.io.err(`coffer: ${describeFailure(error, cli.target)}\n`);
    return 1;
  }
}
