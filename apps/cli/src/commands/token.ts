/** `coffer token create|ls|disable|enable|rm`. */
import type { TokenScope } from "@coffer/core";
import type { Command } from "commander";
import type { Cli } from "../context.js";
import { UsageError } from "../errors.js";
import { parseDuration } from "../durations.js";
import { json, table } from "../output.js";

const CREATE_FORM =
  "coffer token create --name N --expires 30d [--perm SCOPE]… [--shared [--owner TEAM] | --for USER]";

const EXAMPLES = `
Examples:
  coffer token create --name ci --expires 30d --perm 'ml/*=read' > ci.token   # shown once
  coffer token create --name deploy --expires 7d --shared --owner ml > deploy.token
  coffer token ls --json
  coffer token disable tok_…        # the id from ls
  coffer token enable tok_… --expires 30d
  coffer token rm tok_…
`;

/**
 * A scope: `RESOURCE[=LEVEL]` (level read by default), RESOURCE being `*`, `secret:NAME`,
 * `OWNER/NAME`, `OWNER/*` or a secret URI. `NAME` alone means one of yours.
 */
export function parseScope(
  text: string,
  org: string,
  self: string | null,
  form: string = CREATE_FORM,
): TokenScope {
  const [resourceText = "", level = "read"] = text.split("=");
  if (!["list", "read", "write", "manage"].includes(level)) {
    throw new UsageError(`scope ${text}: the level is list, read, write or manage`, form);
  }
  let resource =
    resourceText.startsWith("secret:") && !resourceText.startsWith("secret://")
      ? resourceText.slice(7)
      : resourceText;
  if (resource !== "*" && !resource.startsWith("secret://")) {
    if (!resource.includes("/")) {
      if (self === null) throw new UsageError(`scope ${text}: write OWNER/NAME`, form);
      resource = `${self}/${resource}`;
    }
    resource = `secret://${org}/${resource}`;
  }
  return { resource, level: level as TokenScope["level"] };
}

/** Commander's collector of a repeatable option. */
export const repeatable = (value: string, all: string[]): string[] => [...all, value];

/** `2026-01-02 03:04:05` of an ISO time, for tables. */
export const shortTime = (iso: string): string => iso.slice(0, 19).replace("T", " ");

export const scopeText = (scopes: readonly TokenScope[]): string =>
  scopes.map((s) => `${s.resource}=${s.level}`).join(" ");

/** The table of tokens and of access keys (which have no hint). */
export const credentialColumns: readonly [string, string][] = [
  ["id", "ID"],
  ["name", "NAME"],
  ["hint", "HINT"],
  ["kind", "KIND"],
  ["owner", "OWNER"],
  ["status", "STATUS"],
  ["createdBy", "MADE BY"],
  ["expiresAt", "EXPIRES"],
  ["scopes", "SCOPES"],
];

export function registerToken(program: Command, cli: Cli): void {
  const token = program
    .command("token")
    .description("tokens for people and automation")
    .addHelpText("after", EXAMPLES);

  token
    .command("create")
    .description("make a token (shown once)")
    .requiredOption("--name <name>", "what it is for")
    .requiredOption("--expires <duration>", "lifetime, e.g. 30d, 12h (required)")
    .option(
      "--perm <scope>",
      "RESOURCE[=LEVEL], repeatable; all you hold by default",
      repeatable,
      [] as string[],
    )
    .option("--shared", "a shared token (org admins), for a team (--owner) or the org")
    .option("--owner <team>", "the team of a shared token")
    .option("--for <user>", "a personal token for this user (org admins; audited, shown once)")
    .action(
      async (opts: {
        name: string;
        expires: string;
        perm: string[];
        shared?: boolean;
        owner?: string;
        for?: string;
      }) => {
        if (opts.owner !== undefined && !opts.shared)
          throw new UsageError("--owner goes with --shared", CREATE_FORM);
        if (opts.for !== undefined && opts.shared)
          throw new UsageError("--for makes a personal token: not with --shared", CREATE_FORM);
        const seconds = parseDuration(opts.expires, "--expires");
        const { client } = await cli.connect();
        const me = await client.user.whoami.query();
        // `NAME` in a scope is a secret of the token's user.
        const scopes = opts.perm.map((p) => parseScope(p, me.org, opts.for ?? me.name));
        const made = await client.token.create.mutate({
          name: opts.name,
          expiresInSeconds: seconds,
          ...(scopes.length > 0 ? { scopes } : {}),
          ...(opts.shared ? { shared: opts.owner !== undefined ? { owner: opts.owner } : {} } : {}),
          ...(opts.for !== undefined ? { for: opts.for } : {}),
        });
        const whose = opts.for !== undefined ? ` for ${opts.for}` : "";
        cli.io.err(`Token ${made.id}${whose} expires ${made.expiresAt}. It is shown only now:\n`);
        cli.io.out(`${made.token}\n`);
      },
    );

  for (const verb of ["ls", "list"]) {
    token
      .command(verb)
      .description("your tokens (and shared ones, for org admins); --user: a user's (org admins)")
      .option("--user <user>", "this user's personal tokens (never their values)")
      .option("--json", "print JSON")
      .action(async (opts: { user?: string; json?: boolean }) => {
        const { client } = await cli.connect();
        const tokens = await client.token.list.query(
          opts.user !== undefined ? { user: opts.user } : undefined,
        );
        if (opts.json) return json(cli.io, tokens);
        table(
          cli.io,
          tokens.map((t) => ({
            ...t,
            owner: t.owner ?? "org",
            scopes: scopeText(t.scopes),
            expiresAt: shortTime(t.expiresAt),
          })),
          credentialColumns,
        );
      });
  }

  token
    .command("disable <id>")
    .description("stop a token (deleted after 7 days disabled)")
    .action(async (id: string) => {
      const { client } = await cli.connect();
      const t = await client.token.disable.mutate({ id });
      cli.io.err(`Token ${t.id} is ${t.status}\n`);
    });

  token
    .command("enable <id>")
    .description("start a disabled token again, with a new expiry")
    .requiredOption("--expires <duration>", "the new lifetime, e.g. 30d")
    .action(async (id: string, opts: { expires: string }) => {
      const seconds = parseDuration(opts.expires, "--expires");
      const { client } = await cli.connect();
      const t = await client.token.enable.mutate({ id, expiresInSeconds: seconds });
      cli.io.err(`Token ${t.id} is ${t.status} until ${t.expiresAt}\n`);
    });

  token
    .command("rm <id>")
    .description("delete a token")
    .action(async (id: string) => {
      const { client } = await cli.connect();
      await client.token.delete.mutate({ id });
      cli.io.err(`Deleted token ${id}\n`);
    });
}
