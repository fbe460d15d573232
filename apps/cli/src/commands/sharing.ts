/** `coffer share`, `coffer unshare`, `coffer acl list|ls` (Neu.ro's forms). */
import type { Command } from "commander";
import { secretRef, type Cli } from "../context.js";
import { UsageError } from "../errors.js";
import { json, table } from "../output.js";

const LEVELS = ["list", "read", "write", "manage"] as const;
type Level = (typeof LEVELS)[number];

export function registerSharing(program: Command, cli: Cli): void {
  program
    .command("share <resource> <subject>")
    .description("share secret:NAME, OWNER/NAME, OWNER/* or a secret URI with a user or team")
    .option("--perm <level>", "list, read, write or manage", "read")
    .action(async (resource: string, subject: string, opts: { perm: string }) => {
      if (!(LEVELS as readonly string[]).includes(opts.perm)) {
        throw new UsageError(
          "--perm is list, read, write or manage",
          "coffer share secret:NAME|URI USER|TEAM [--perm read|write|manage]",
        );
      }
      const { client } = await cli.connect();
      const grant = await client.grant.share.mutate({
        resource: secretRef(resource),
        subject,
        level: opts.perm as Level,
      });
      cli.io.err(`Shared ${grant.resource} with ${grant.subject} (${grant.level})\n`);
    });

  program
    .command("unshare <resource> <subject>")
    .description("take back a share")
    .action(async (resource: string, subject: string) => {
      const { client } = await cli.connect();
      const removed = await client.grant.unshare.mutate({ resource: secretRef(resource), subject });
      cli.io.err(`Unshared ${removed.resource} from ${removed.subject}\n`);
    });

  const acl = program.command("acl").description("what is shared with you, and by you");
  for (const verb of ["list", "ls"]) {
    acl
      .command(verb)
      .description("grants to you and your teams, and grants you made")
      .option("--json", "print JSON")
      .action(async (opts: { json?: boolean }) => {
        const { client } = await cli.connect();
        const [toMe, byMe] = await Promise.all([
          client.grant.list.query({ direction: "toMe" }),
          client.grant.list.query({ direction: "byMe" }),
        ]);
        if (opts.json) return json(cli.io, { toMe, byMe });
        const rows = [
          ...toMe.map((g) => ({ direction: "to you", ...g })),
          ...byMe.map((g) => ({ direction: "by you", ...g })),
        ];
        table(cli.io, rows, [
          ["direction", "DIRECTION"],
          ["resource", "RESOURCE"],
          ["subject", "SUBJECT"],
          ["level", "LEVEL"],
          ["createdBy", "BY"],
        ]);
      });
  }
}
