/** `coffer login` and `coffer whoami`. */
import { createCofferClient } from "@coffer/client";
import type { Command } from "commander";
import { saveLogin } from "../config-file.js";
import type { Cli } from "../context.js";
import { UsageError } from "../errors.js";

export function registerLogin(program: Command, cli: Cli): void {
  program
    .command("login")
    .description(
      "check a server and token, then save them (mode 0600); COFFER_URL / COFFER_TOKEN override",
    )
    .option("--url <url>", "the Coffer server (default: COFFER_URL, else http://127.0.0.1:7700)")
    .option("--token <token>", "your token (or COFFER_TOKEN; `-` reads it from stdin)")
    .action(async (opts: { url?: string; token?: string }) => {
      const raw = opts.token === "-" ? (await cli.stdin()).trim() : (opts.token ?? cli.env.token);
      if (raw === undefined || raw === "") {
        throw new UsageError("login needs a token", "coffer login [--url URL] --token TOKEN");
      }
      const url = (opts.url ?? cli.env.url ?? "http://127.0.0.1:7700").replace(/\/+$/, "");
      const me = await createCofferClient({ url, token: raw, retries: 1 }).user.whoami.query();
      const file = await saveLogin(cli.env.configDir, { url, token: raw });
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
