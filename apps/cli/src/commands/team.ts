/** `coffer team create|add|ls|members|rm-member`. */
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { json, table } from "../output.js";

const EXAMPLES = `
Examples:
  coffer team create ml
  coffer team add ml alice --admin    # a team admin may add and remove members
  coffer team ls
  coffer team members ml --json
  coffer team rm-member ml alice
`;

export function registerTeam(program: Command, cli: Cli): void {
  const team = program.command("team").description("teams").addHelpText("after", EXAMPLES);
  team
    .command("create <team>")
    .description("create a team (org admins)")
    .action(async (name: string) => {
      const { client } = await cli.connect();
      await client.team.create.mutate({ name });
      cli.io.err(`Created team ${name}\n`);
    });
  team
    .command("add <team> <user>")
    .description("add a member (team admins and org admins)")
    .option("--admin", "as a team admin")
    .action(async (teamName: string, userName: string, opts: { admin?: boolean }) => {
      const { client } = await cli.connect();
      const m = await client.team.addMember.mutate({
        team: teamName,
        user: userName,
        role: opts.admin ? "admin" : "member",
      });
      cli.io.err(`${m.user} is ${m.role === "admin" ? "an" : "a"} ${m.role} of ${m.team}\n`);
    });
  for (const verb of ["ls", "list"]) {
    team
      .command(verb)
      .description("the teams of the org, with how many members each has")
      .option("--json", "print JSON")
      .action(async (opts: { json?: boolean }) => {
        const { client } = await cli.connect();
        const teams = await client.team.list.query();
        if (opts.json) return json(cli.io, teams);
        table(cli.io, teams, [
          ["name", "NAME"],
          ["members", "MEMBERS"],
        ]);
      });
  }
  team
    .command("members <team>")
    .description("a team's members and their roles")
    .option("--json", "print JSON")
    .action(async (teamName: string, opts: { json?: boolean }) => {
      const { client } = await cli.connect();
      const members = await client.team.members.query({ name: teamName });
      if (opts.json) return json(cli.io, members);
      table(cli.io, members, [
        ["user", "USER"],
        ["role", "ROLE"],
      ]);
    });
  team
    .command("rm-member <team> <user>")
    .description("remove a member (team admins and org admins)")
    .action(async (teamName: string, userName: string) => {
      const { client } = await cli.connect();
      const m = await client.team.removeMember.mutate({ team: teamName, user: userName });
      cli.io.err(`${m.user} is no longer in ${m.team}\n`);
    });
}
