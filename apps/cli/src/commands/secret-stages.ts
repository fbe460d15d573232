/**
 * `coffer secret promote | edit | where-used`: the stage moves of a rotation done in two steps
 * (`rotate --pending`, then `promote`), the description, and who read a secret lately.
 */
import type { Command } from "commander";
import { secretRef, type Cli } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { json, table } from "../output.js";

const STAGES = ["current", "previous", "pending"] as const;
type Stage = (typeof STAGES)[number];

export function registerSecretStages(secret: Command, cli: Cli): void {
  const promoteForm = "coffer secret promote NAME [--version N] [--to current|previous|pending]";
  secret
    .command("promote <name>")
    .description("make the pending version current (or move --version N to the stage --to)")
    .option("--owner <owner>", "the owner of NAME")
    .option("--version <n>", "the version to move (default: the pending one)")
    .option("--to <stage>", "current, previous or pending", "current")
    .addHelpText(
      "after",
      `
Examples:
  coffer secret rotate db-password @new-password.txt --pending
  coffer secret promote db-password
  coffer secret promote db-password --version 3 --to previous
`,
    )
    .action(async (name: string, opts: { owner?: string; version?: string; to: string }) => {
      if (!(STAGES as readonly string[]).includes(opts.to))
        throw new UsageError("--to is current, previous or pending", promoteForm);
      if (opts.version !== undefined && !/^[1-9]\d{0,8}$/.test(opts.version))
        throw new UsageError("--version takes a version number", promoteForm);
      const { client } = await cli.connect();
      const ref = secretRef(name, opts.owner);
      let version = opts.version !== undefined ? Number(opts.version) : undefined;
      if (version === undefined) {
        const meta = await client.secret.describe.query({ secret: ref });
        if (meta.pendingVersion === null || meta.pendingVersion === undefined)
          throw new CliError(
            `${meta.uri} has no pending version: \`coffer secret rotate NAME VALUE --pending\` stores one`,
          );
        version = meta.pendingVersion;
      }
      const moved = await client.secret.moveStage.mutate({
        secret: ref,
        stage: opts.to as Stage,
        version,
      });
      cli.io.err(`${moved.uri}: version ${version} is ${opts.to}\n`);
    });

  secret
    .command("edit <name>")
    .description("change a secret's description (its value changes with `rotate`)")
    .requiredOption("--description <text>", 'what it is for ("" clears it)')
    .option("--owner <owner>", "the owner of NAME")
    .action(async (name: string, opts: { owner?: string; description: string }) => {
      const { client } = await cli.connect();
      const meta = await client.secret.setDescription.mutate({
        secret: secretRef(name, opts.owner),
        description: opts.description,
      });
      cli.io.err(`${meta.uri}: description ${opts.description === "" ? "cleared" : "set"}\n`);
    });

  secret
    .command("where-used <name>")
    .description("who read a secret in the last 30 days: identities and tokens, from the audit log")
    .option("--owner <owner>", "the owner of NAME")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { owner?: string; json?: boolean }) => {
      const { client } = await cli.connect();
      const ref = secretRef(name, opts.owner);
      const readers = await client.secret.whereUsed.query({ secret: ref });
      if (opts.json) return json(cli.io, readers);
      if (readers.length === 0) return cli.io.out(`Nobody read ${ref} in the last 30 days\n`);
      table(
        cli.io,
        readers.map((r) => ({ ...r, lastReadAt: r.lastReadAt.slice(0, 19).replace("T", " ") })),
        [
          ["actor", "ACTOR"],
          ["tokenId", "TOKEN"],
          ["reads", "READS"],
          ["lastReadAt", "LAST READ"],
        ],
      );
    });
}
