/**
 * `pnpm break-glass [--user NAME] [--enable] [--days N]`: a fresh token for an org admin when
 * every admin token is lost. Run it where the server runs, with the same COFFER_* settings
 * (and the server stopped, on embedded PostgreSQL). The token goes to the terminal once.
 */
import { parseArgs } from "node:util";
import { BreakGlassError, issueBreakGlassToken } from "./break-glass-token.js";
import { DataDirBusyError } from "./db/data-dir-lock.js";
import { ConfigError, readConfig } from "./env.js";

const USAGE = "usage: npx -y pnpm@10 break-glass [--user NAME] [--enable] [--days N]";

function fail(message: string, code = 1): never {
  process.stderr.write(`coffer break-glass: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        user: { type: "string" },
        enable: { type: "boolean" },
        days: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
  if (args.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const days = args.days === undefined ? undefined : Number(args.days);
  if (days !== undefined && (!/^\d+$/.test(args.days!) || days < 1))
    fail(`--days must be a whole number of days, at least 1\n${USAGE}`, 2);
  let config;
  try {
    config = readConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  const made = await issueBreakGlassToken(config, {
    ...(args.user !== undefined ? { user: args.user } : {}),
    ...(days !== undefined ? { days } : {}),
    enable: args.enable === true,
  });
  const enabled = made.enabled ? ` (the user was disabled: it is enabled again)` : "";
  process.stdout.write(
    `\nBreak-glass token for "${made.user}"${enabled}, valid until ${made.expiresAt.toISOString()}, shown only this once:\n\n  ${made.token}\n\n` +
      `It is audited as token.break-glass (token ${made.tokenId}). Log in with it, issue proper tokens, then disable this one:\n  coffer token disable ${made.tokenId}\n\n`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof BreakGlassError || error instanceof DataDirBusyError) fail(error.message);
  fail(`failed: ${error instanceof Error ? error.message : String(error)}`);
});
