/** `coffer login` and `coffer whoami`. */
import { createCofferClient } from "@coffer/client";
import type { Command } from "commander";
import { saveLogin } from "../config-file.js";
import type { Cli } from "../context.js";
import { UsageError } from "../errors.js";
import { checkServerUrl, DEFAULT_SERVER_URL } from "../server-url.js";

const LOGIN_FORM = "coffer login [--url URL] [--token -]   (asks for the token when not given)";

/**
 * The token, never from the command line when it can be helped: `--token -` or a piped stdin
 * reads it, a terminal asks for it without echo, COFFER_TOKEN is taken as it is. `--token
 * VALUE` still works (SPEC §8), but a command line is seen by `ps` and kept in shell history.
 */
async function tokenFor(cli: Cli, flag: string | undefined, url: string): Promise<string> {
  let token: string | undefined;
  if (flag === "-") token = await cli.stdin();
  else if (flag !== undefined) token = flag;
  else if (cli.env.token !== undefined) token = cli.env.token;
  else if (cli.io.stdinIsTty) token = await cli.io.askHidden(`Token for ${url} (not shown): `);
  else token = await cli.stdin();
  token = token.trim();
  if (token === "") throw new UsageError("login needs a token", LOGIN_FORM);
  return token;
}

export function registerLogin(program: Command, cli: Cli): void {
  program
    .command("login")
    .description(
      "check a server and token, then save them (mode 0600); COFFER_URL / COFFER_TOKEN override",
    )
    .option("--url <url>", `the Coffer server (default: COFFER_URL, else ${DEFAULT_SERVER_URL})`)
    .option(
      "--token <token>",
      "`-` reads it from stdin; without it: COFFER_TOKEN, else asked for (not shown), else stdin",
    )
    .action(async (opts: { url?: string; token?: string }) => {
      const url = checkServerUrl(
        opts.url ?? cli.env.url ?? DEFAULT_SERVER_URL,
        opts.url !== undefined ? "--url" : cli.env.url !== undefined ? "COFFER_URL" : "the default",
      );
      const token = await tokenFor(cli, opts.token, url);
      cli.target = url;
      const me = await createCofferClient({ url, token, retries: 1 }).user.whoami.query();
      const file = await saveLogin(cli.env.configDir, { url, token });
      cli.io.err(
        `Logged in to ${url} as ${me.name ?? me.kind} (org ${me.org}); saved in ${file}\n`,
      );
    });

  program
    .command("whoami")
    .description("who you are, and on which server")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const { client, url } = await cli.connect();
      const me = await client.user.whoami.query();
      if (opts.json) {
        cli.io.out(`${JSON.stringify({ ...me, url }, null, 2)}\n`);
        return;
      }
      const teams = me.teams
        .map((t) => `${t.team}${t.role === "admin" ? " (admin)" : ""}`)
        .join(", ");
      cli.io.out(
        `${me.name ?? me.kind} on ${url} (org ${me.org})\n` +
          `  role:   ${me.orgRole ?? me.kind}\n` +
          `  teams:  ${teams || "-"}\n` +
          `  token:  ${me.tokenId} (${me.scopes.map((s) => `${s.level} ${s.resource}`).join(", ")})\n`,
      );
    });
}
