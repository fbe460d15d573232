/** `coffer key ls|create|rotate-root`: protection keys and the root key (SPEC §5, org admins). */
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { json, table } from "../output.js";

const EXAMPLES = `
Examples:
  coffer key ls
  coffer key create --default     # new secrets are sealed under it from now on
  coffer key rotate-root --yes    # re-wraps every protection key; values are untouched
`;

export function registerKey(program: Command, cli: Cli): void {
  const key = program
    .command("key")
    .description("protection keys and the root key (org admins)")
    .addHelpText("after", EXAMPLES);

  for (const verb of ["ls", "list"]) {
    key
      .command(verb)
      .description("the protection keys, and which root key wraps them")
      .option("--json", "print JSON")
      .action(async (opts: { json?: boolean }) => {
        const { client } = await cli.connect();
        const keys = await client.key.list.query();
        if (opts.json) return json(cli.io, keys);
        table(
          cli.io,
          keys.protectionKeys.map((k) => ({
            ...k,
            isDefault: k.isDefault ? "yes" : "",
            createdAt: k.createdAt.slice(0, 19).replace("T", " "),
          })),
          [
            ["id", "ID"],
            ["isDefault", "DEFAULT"],
            ["rootKeyId", "ROOT KEY"],
            ["createdAt", "CREATED"],
          ],
        );
        cli.io.err(`Active root key: ${keys.activeRootKeyId}\n`);
      });
  }

  key
    .command("create")
    .description("make a protection key (--default: new secrets are sealed under it)")
    .option("--default", "make it the default for new secrets")
    .action(async (opts: { default?: boolean }) => {
      const { client } = await cli.connect();
      const made = await client.key.create.mutate(opts.default ? { makeDefault: true } : {});
      cli.io.err(`Created protection key${made.isDefault ? " (the default)" : ""}:\n`);
      cli.io.out(`${made.id}\n`);
    });

  key
    .command("rotate-root")
    .description("make a new root key and re-wrap every protection key under it, online")
    .option("--yes", "do not ask (needed when standard input is not a terminal)")
    .action(async (opts: { yes?: boolean }) => {
      if (!opts.yes) {
        if (!cli.io.stdinIsTty)
          throw new UsageError(
            "rotate-root replaces the root key: add --yes to confirm",
            "coffer key rotate-root [--yes]",
          );
        const answer = await cli.io.askHidden("Rotate the root key now? [y/N] ");
        if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("not rotated");
      }
      const { client } = await cli.connect();
      const done = await client.key.rotateRoot.mutate();
      cli.io.err(
        `Rotated the root key: ${done.rewrapped} protection key(s) re-wrapped under ${done.rootKeyId}\n`,
      );
    });
}
