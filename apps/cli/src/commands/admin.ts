/** `coffer user …`, `coffer audit …`, `coffer gen` (teams: team.ts). */
import { generateRandomSecret } from "@coffer/core";
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { parseDuration } from "../durations.js";
import { UsageError } from "../errors.js";
import { json, table } from "../output.js";
import { secretRef } from "../context.js";
import { generateOptions, withGenerateOptions, type GenerateFlags } from "./generate-options.js";

const USER_EXAMPLES = `
Examples:
  coffer user add alice > alice.token    # its first token, shown once: hand it over
  coffer user ls --json
  coffer user disable alice              # and all its tokens
  coffer user enable alice
  coffer token create --for alice --name recovery --expires 1d > alice.token
`;

const AUDIT_EXAMPLES = `
Examples:
  coffer audit ls --since 24h
  coffer audit ls --secret db-password --json
  coffer audit verify                   # prints the head: keep it
  coffer audit verify --expect-head 42:…   # later: the chain must still hold that head
`;

export function registerAdmin(program: Command, cli: Cli): void {
  const user = program
    .command("user")
    .description("users (org admins)")
    .addHelpText("after", USER_EXAMPLES);
  user
    .command("add <name>")
    .description("add a user; prints its first token (shown once) to hand over")
    .option("--admin", "an org admin")
    .action(async (name: string, opts: { admin?: boolean }) => {
      const { client } = await cli.connect();
      const made = await client.user.create.mutate({
        name,
        ...(opts.admin ? { admin: true } : {}),
      });
      cli.io.err(
        `Added ${made.orgRole} ${made.name}. Its first token, valid until ${made.tokenExpiresAt}, shown only now:\n`,
      );
      cli.io.out(`${made.token}\n`);
    });
  user
    .command("disable <name>")
    .description("disable a user and its tokens")
    .action(async (name: string) => {
      const { client } = await cli.connect();
      const u = await client.user.disable.mutate({ name });
      cli.io.err(`User ${u.name} is ${u.status}\n`);
    });
  user
    .command("enable <name>")
    .description(
      "enable a disabled user (its tokens stay disabled: give it one with token create --for)",
    )
    .action(async (name: string) => {
      const { client } = await cli.connect();
      const u = await client.user.enable.mutate({ name });
      cli.io.err(
        `User ${u.name} is ${u.status}. Its tokens stay disabled: coffer token create --for ${u.name} --name … --expires …\n`,
      );
    });
  user
    .command("ls")
    .description("list users")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const { client } = await cli.connect();
      const users = await client.user.list.query();
      if (opts.json) return json(cli.io, users);
      table(
        cli.io,
        users.map((u) => ({ ...u, teams: u.teams.map((t) => t.team).join(",") })),
        [
          ["name", "NAME"],
          ["orgRole", "ROLE"],
          ["status", "STATUS"],
          ["teams", "TEAMS"],
        ],
      );
    });

  const audit = program
    .command("audit")
    .description("the audit log")
    .addHelpText("after", AUDIT_EXAMPLES);
  audit
    .command("ls")
    .description("recent events (yours; a secret's with --secret; all for org admins)")
    .option("--secret <name>", "events of one secret")
    .option("--since <duration>", "e.g. 24h, 7d")
    .option("--json", "print JSON")
    .action(async (opts: { secret?: string; since?: string; json?: boolean }) => {
      const since =
        opts.since !== undefined
          ? new Date(Date.now() - parseDuration(opts.since, "--since") * 1000)
          : undefined;
      const { client } = await cli.connect();
      const page = await client.audit.list.query({
        limit: 200,
        ...(opts.secret !== undefined ? { secret: secretRef(opts.secret) } : {}),
        ...(since !== undefined ? { since: since.toISOString() } : {}),
      });
      if (opts.json) return json(cli.io, page.items);
      table(
        cli.io,
        page.items.map((e) => ({ ...e, at: e.at.slice(0, 19).replace("T", " ") })),
        [
          ["at", "TIME"],
          ["actor", "ACTOR"],
          ["action", "ACTION"],
          ["resource", "RESOURCE"],
          ["result", "RESULT"],
        ],
      );
    });
  audit
    .command("verify")
    .description("check the audit log's seals and hash chain (org admins)")
    .option(
      "--expect-head <seq:digest>",
      "a head printed by an earlier verify: the chain must still hold it (finds a rollback)",
    )
    .action(async (opts: { expectHead?: string }) => {
      const expectHead = opts.expectHead !== undefined ? parseHead(opts.expectHead) : undefined;
      const { client } = await cli.connect();
      const v = await client.audit.verify.query(expectHead ? { expectHead } : {});
      if (v.ok) cli.io.out(`The audit chain is intact: ${v.checked} events checked.\n`);
      else {
        cli.io.out(`The audit chain is BROKEN:\n${v.problems.map((p) => `  - ${p}`).join("\n")}\n`);
        cli.exitCode = 1;
      }
      cli.io.out(
        `Head: ${v.head.seq}:${v.head.digest} (keep it; check later with --expect-head)\n`,
      );
    });

  // Generated here, with core's generator: no server, no login needed.
  withGenerateOptions(
    program.command("gen").description("print a random secret (AWS GetRandomPassword's options)"),
  ).action((flags: GenerateFlags) => {
    const value = generateRandomSecret(generateOptions(flags));
    cli.io.out(cli.io.isTty ? `${value}\n` : value);
  });
}

/** `SEQ:DIGEST`, as verify prints the head. */
function parseHead(text: string): { seq: number; digest: string } {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  if (!match || Number(match[1]) < 1)
    throw new UsageError(
      "--expect-head takes the head a verify printed: SEQ:DIGEST (a number, a colon, 64 hex digits)",
    );
  return { seq: Number(match[1]), digest: match[2]! };
}
