/** `coffer share`, `coffer unshare`, `coffer acl list|ls` (Neu.ro's forms). */
import type { Command } from "commander";
import { secretRef, type Cli } from "../context.js";
import { UsageError } from "../errors.js";
import { grantLevel } from "../grant-words.js";
import { json, table } from "../output.js";

const ACL_FORM = "coffer acl ls [--by-me | --to-me | --secret OWNER/NAME] [--json]";

const SHARE_EXAMPLES = `
Examples:
  coffer share secret:db-password bob            # read, by default
  coffer share secret:db-password bob write      # Neu.ro's form: the level as a third word
  coffer share 'ml/*' data-team --perm read      # every secret of ml, now and later
  coffer unshare secret:db-password bob
`;

const ACL_EXAMPLES = `
Examples:
  coffer acl ls                        # grants to you (and your teams) and grants you made
  coffer acl ls --to-me --json
  coffer acl ls --by-me
  coffer acl ls --secret ml/db-password   # everyone's grants on it (needs manage on it)
`;

const grantColumns: [string, string][] = [
  ["resource", "RESOURCE"],
  ["subject", "SUBJECT"],
  ["level", "LEVEL"],
  ["createdBy", "BY"],
];

export function registerSharing(program: Command, cli: Cli): void {
  program
    .command("share <resource> <subject> [level]")
    .description("share secret:NAME, OWNER/NAME, OWNER/* or a secret URI with a user or team")
    .option("--perm <level>", "list, read, write or manage (default read)")
    .addHelpText("after", SHARE_EXAMPLES)
    .action(
      async (
        resource: string,
        subject: string,
        word: string | undefined,
        opts: { perm?: string },
      ) => {
        const level = grantLevel(word, opts.perm);
        const { client } = await cli.connect();
        const grant = await client.grant.share.mutate({
          resource: secretRef(resource),
          subject,
          level,
        });
        cli.io.err(`Shared ${grant.resource} with ${grant.subject} (${grant.level})\n`);
      },
    );

  program
    .command("unshare <resource> <subject>")
    .description("take back a share")
    .action(async (resource: string, subject: string) => {
      const { client } = await cli.connect();
      const removed = await client.grant.unshare.mutate({ resource: secretRef(resource), subject });
      cli.io.err(`Unshared ${removed.resource} from ${removed.subject}\n`);
    });

  const acl = program
    .command("acl")
    .description("what is shared with you, and by you")
    .addHelpText("after", ACL_EXAMPLES);
  for (const verb of ["list", "ls"]) {
    acl
      .command(verb)
      .description("grants to you and your teams, and grants you made; or everyone's on a secret")
      .option("--by-me", "only the grants you made")
      .option("--to-me", "only the grants to you and your teams")
      .option("--secret <name>", "everyone's grants on this secret (OWNER/NAME, NAME or a URI)")
      .option("--json", "print JSON")
      .action(async (opts: { byMe?: boolean; toMe?: boolean; secret?: string; json?: boolean }) => {
        const chosen = [opts.byMe, opts.toMe, opts.secret !== undefined].filter(Boolean);
        if (chosen.length > 1)
          throw new UsageError("--by-me, --to-me and --secret: one at a time", ACL_FORM);
        const { client } = await cli.connect();
        if (opts.secret !== undefined) {
          const grants = await client.grant.list.query({ secret: secretRef(opts.secret) });
          if (opts.json) return json(cli.io, grants);
          return table(cli.io, grants, grantColumns);
        }
        const [toMe, byMe] = await Promise.all([
          opts.byMe ? [] : client.grant.list.query({ direction: "toMe" }),
          opts.toMe ? [] : client.grant.list.query({ direction: "byMe" }),
        ]);
        // Without a filter, JSON keeps its two lists; with one, it is that list alone.
        if (opts.json) return json(cli.io, opts.byMe ? byMe : opts.toMe ? toMe : { toMe, byMe });
        const rows = [
          ...toMe.map((g) => ({ direction: "to you", ...g })),
          ...byMe.map((g) => ({ direction: "by you", ...g })),
        ];
        table(cli.io, rows, [["direction", "DIRECTION"], ...grantColumns]);
      });
  }
}
