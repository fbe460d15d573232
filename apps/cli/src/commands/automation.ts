/**
 * `coffer automation add|ls|rm` (SPEC §12): events on the secrets a pattern matches fire a hook.
 */
import type { HookEventType } from "@coffer/core";
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { UsageError } from "../errors.js";
import { json, table } from "../output.js";
import { collectPages } from "../pages.js";
import { collect, eventType } from "./hook.js";
import { time } from "./rotation-jobs.js";

const ADD_FORM =
  "coffer automation add NAME --on EVENT[,EVENT…]… --match PATTERN --hook HOOK " +
  "[--owner T] [--description T]";

const ADD_EXAMPLE = `
PATTERN is secret://ORG/OWNER/NAME, secret://ORG/OWNER/* or *: quote it so the shell leaves
the * alone.

Example (the hook of \`coffer hook add --help\`, on each new version of a team's secrets):
  coffer automation add on-model --owner ml --on secret.version.created,secret.promoted \\
    --match 'secret://default/ml/*' --hook ml/notify
`;

/** `--on a,b --on c`: the event types, each once, in the order given. */
export function parseEvents(values: readonly string[]): HookEventType[] {
  const types = values
    .flatMap((v) => v.split(","))
    .map((t) => t.trim())
    .filter((t) => t !== "");
  if (types.length === 0) throw new UsageError("--on takes one event type or more", ADD_FORM);
  return [...new Set(types.map((t) => eventType(t, "--on", ADD_FORM)))];
}

export function registerAutomation(program: Command, cli: Cli): void {
  const automation = program
    .command("automation")
    .description("fire a hook on events of the secrets a pattern matches");

  automation
    .command("add <name>")
    .description("make an automation")
    .requiredOption("--on <events>", "event types, comma-separated and/or repeated", collect)
    .requiredOption("--match <pattern>", "secret://ORG/OWNER/NAME, secret://ORG/OWNER/* or *")
    .requiredOption("--hook <hook>", "the hook to fire (NAME or OWNER/NAME)")
    .option("--owner <team>", "a team that owns it (default: you)")
    .option("--description <text>", "what it is for")
    .addHelpText("after", ADD_EXAMPLE)
    .action(
      async (
        name: string,
        opts: { on: string[]; match: string; hook: string; owner?: string; description?: string },
      ) => {
        const on = parseEvents(opts.on);
        const { client } = await cli.connect();
        const made = await client.automation.create.mutate({
          name,
          on,
          match: opts.match,
          hook: opts.hook,
          ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
          ...(opts.description !== undefined ? { description: opts.description } : {}),
        });
        cli.io.err(
          `Automation ${made.ref} made: ${made.on.join(", ")} on ${made.match} fires ${made.hook}\n`,
        );
      },
    );

  automation
    .command("ls")
    .description("automations you can see")
    .option("--owner <owner>", "only this user's or team's")
    .option("--hook <hook>", "only those firing this hook")
    .option("--json", "print JSON")
    .action(async (opts: { owner?: string; hook?: string; json?: boolean }) => {
      const { client } = await cli.connect();
      const items = await collectPages((page) =>
        client.automation.list.query({
          ...page,
          ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
          ...(opts.hook !== undefined ? { hook: opts.hook } : {}),
        }),
      );
      if (opts.json) return json(cli.io, items);
      table(
        cli.io,
        items.map((a) => ({ ...a, on: a.on.join(","), createdAt: time(a.createdAt) })),
        [
          ["ref", "AUTOMATION"],
          ["on", "ON"],
          ["match", "MATCH"],
          ["hook", "HOOK"],
          ["createdAt", "CREATED"],
        ],
      );
    });

  automation
    .command("rm <automation>")
    .description("delete an automation")
    .action(async (ref: string) => {
      const { client } = await cli.connect();
      const done = await client.automation.delete.mutate({ automation: ref });
      cli.io.err(`Deleted automation ${done.automation}\n`);
    });
}
