/**
 * `coffer access-key create|ls|disable|rm`: keys for signed requests (SPEC §4), an id and a
 * secret shown once. Made like tokens: a required lifetime, scopes, personal or shared.
 */
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { parseDuration } from "../durations.js";
import { UsageError } from "../errors.js";
import { json, table } from "../output.js";
import { credentialColumns, parseScope, repeatable, scopeText, shortTime } from "./token.js";

const CREATE_FORM =
  "coffer access-key create NAME --expires 30d [--perm SCOPE]… [--owner TEAM | --org] [--json]";

const EXAMPLES = `
Examples:
  coffer access-key create deploy --expires 30d --perm 'ml/*=read' --owner ml --json > deploy-key.json
  coffer access-key ls
  coffer access-key disable cfk_…     # the id from ls
  coffer access-key rm cfk_…
The secret is printed once, on standard output (with --json: {accessKeyId, secret, expiresAt},
what the gateway's accessKey option takes); the id and expiry go to standard error.
`;

export function registerAccessKey(program: Command, cli: Cli): void {
  const accessKey = program
    .command("access-key")
    .description("access keys for signed requests (id + secret, shown once)")
    .addHelpText("after", EXAMPLES);

  accessKey
    .command("create <name>")
    .description("make an access key; its secret is shown only now")
    .requiredOption("--expires <duration>", "lifetime, e.g. 30d, 12h (required)")
    .option(
      "--perm <scope>",
      "RESOURCE[=LEVEL], repeatable; all you hold by default",
      repeatable,
      [],
    )
    .option("--owner <team>", "a shared key of this team (org admins)")
    .option("--org", "a shared key of the org (org admins)")
    .option("--json", "print {accessKeyId, secret, expiresAt} as JSON")
    .action(
      async (
        name: string,
        opts: { expires: string; perm: string[]; owner?: string; org?: boolean; json?: boolean },
      ) => {
        if (opts.owner !== undefined && opts.org)
          throw new UsageError("--owner TEAM or --org, not both", CREATE_FORM);
        const seconds = parseDuration(opts.expires, "--expires");
        const { client } = await cli.connect();
        const me = await client.user.whoami.query();
        const shared = opts.owner !== undefined || opts.org === true;
        // `NAME` alone in a scope is a secret of the key's owner (none for the org's: OWNER/NAME).
        const owner = opts.org ? null : (opts.owner ?? me.name);
        const scopes = opts.perm.map((p) => parseScope(p, me.org, owner, CREATE_FORM));
        const made = await client.accessKey.create.mutate({
          name,
          expiresInSeconds: seconds,
          ...(scopes.length > 0 ? { scopes } : {}),
          ...(shared ? { shared: opts.owner !== undefined ? { owner: opts.owner } : {} } : {}),
        });
        cli.io.err(
          `Access key ${made.id} expires ${made.expiresAt}. Its secret is shown only now:\n`,
        );
        if (opts.json)
          return json(cli.io, {
            accessKeyId: made.id,
            secret: made.secret,
            expiresAt: made.expiresAt,
          });
        cli.io.out(`${made.secret}\n`);
      },
    );

  for (const verb of ["ls", "list"]) {
    accessKey
      .command(verb)
      .description("your access keys (and shared ones you manage); never their secrets")
      .option("--json", "print JSON")
      .action(async (opts: { json?: boolean }) => {
        const { client } = await cli.connect();
        const keys = await client.accessKey.list.query();
        if (opts.json) return json(cli.io, keys);
        const now = new Date().toISOString();
        table(
          cli.io,
          keys.map((k) => ({
            ...k,
            status: k.disabledAt !== null ? "disabled" : k.expiresAt <= now ? "expired" : "active",
            owner: k.owner ?? "org",
            scopes: scopeText(k.scopes),
            expiresAt: shortTime(k.expiresAt),
          })),
          credentialColumns.filter(([key]) => key !== "hint"),
        );
      });
  }

  accessKey
    .command("disable <id>")
    .description("stop an access key (it can be deleted after)")
    .action(async (id: string) => {
      const { client } = await cli.connect();
      await client.accessKey.disable.mutate({ id });
      cli.io.err(`Access key ${id} is disabled\n`);
    });

  accessKey
    .command("rm <id>")
    .description("delete an access key")
    .action(async (id: string) => {
      const { client } = await cli.connect();
      await client.accessKey.delete.mutate({ id });
      cli.io.err(`Deleted access key ${id}\n`);
    });
}
