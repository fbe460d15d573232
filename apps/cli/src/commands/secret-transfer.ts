/**
 * `coffer secret import FILE.env` and `coffer secret export`. Import parses with dotenv, creates
 * each secret (or with --overwrite rotates it), reports per line what happened, and shows a
 * progress line on a terminal when there are many; a line dotenv skips is reported and skipped,
 * the rest goes on. Export writes dotenv or JSON (it prints values: that is what it is for); a
 * value no dotenv form holds is reported and left out, never the whole export.
 */
import { SECRET_NAME_RE } from "@coffer/core";
import { toCofferError } from "@coffer/client";
import type { Command } from "commander";
import { listAllSecrets, secretRef, type Cli } from "../context.js";
import { UsageError } from "../errors.js";
import { readTextFile } from "../value-source.js";
import { dotenvLine, parseDotenv } from "./dotenv-format.js";

const PROGRESS_FROM = 20;
export function registerTransfer(secret: Command, cli: Cli): void {
  secret
    .command("import <file>")
    .description("create secrets from a dotenv file (with --overwrite, rotate existing ones)")
    .option("--owner <owner>", "a team (or user) to own them; yourself by default")
    .option("--overwrite", "rotate secrets that already exist")
    .action(async (file: string, opts: { owner?: string; overwrite?: boolean }) => {
      const { entries, skipped: bad } = parseDotenv(await readTextFile(file));
      for (const b of bad) cli.io.err(`${file}:${b.line}: ${b.reason}, skipped\n`);
      const { client } = await cli.connect();
      const showProgress = process.stderr.isTTY === true && entries.length >= PROGRESS_FROM;
      const counts = { added: 0, rotated: 0, skipped: 0, failed: 0 };
      for (const [index, [name, value]] of entries.entries()) {
        if (showProgress)
          cli.io.err(
            `\r[${"#".repeat(Math.round((20 * index) / entries.length)).padEnd(20)}] ${index}/${entries.length}`,
          );
        const report = (what: string) =>
          showProgress ? undefined : cli.io.err(`${name}: ${what}\n`);
        if (!SECRET_NAME_RE.test(name)) {
          counts.failed++;
          cli.io.err(
            `${showProgress ? "\n" : ""}${name.slice(0, 130)}: not a secret name (a letter or _, then letters, digits, _ or -), skipped\n`,
          );
          continue;
        }
        const ref = secretRef(name, opts.owner);
        try {
          await client.secret.create.mutate({ secret: ref, value });
          counts.added++;
          report("added");
        } catch (error) {
          const e = toCofferError(error);
          if (e.errorCode === "INVALID_STATUS" && opts.overwrite) {
            try {
              await client.secret.put.mutate({ secret: ref, value });
              counts.rotated++;
              report("rotated");
            } catch (again) {
              counts.failed++;
              const f = toCofferError(again);
              cli.io.err(`${showProgress ? "\n" : ""}${name}: ${f.errorCode}: ${f.message}\n`);
            }
          } else if (e.errorCode === "INVALID_STATUS") {
            counts.skipped++;
            report("exists, skipped (use --overwrite to rotate it)");
          } else {
            counts.failed++;
            cli.io.err(`${showProgress ? "\n" : ""}${name}: ${e.errorCode}: ${e.message}\n`);
          }
        }
      }
      if (showProgress) cli.io.err(`\r[${"#".repeat(20)}] ${entries.length}/${entries.length}\n`);
      cli.io.err(
        `${counts.added} added, ${counts.rotated} rotated, ${counts.skipped} skipped, ${counts.failed + bad.length} failed\n`,
      );
      if (counts.failed + bad.length > 0) cli.exitCode = 1;
    });

  secret
    .command("export")
    .description("print secrets as dotenv or JSON (values included)")
    .option("--owner <owner>", "only this owner's")
    .option("--format <format>", "dotenv or json", "dotenv")
    .action(async (opts: { owner?: string; format: string }) => {
      if (opts.format !== "dotenv" && opts.format !== "json") {
        throw new UsageError(
          "--format is dotenv or json",
          "coffer secret export [--owner X] [--format dotenv|json]",
        );
      }
      const { client } = await cli.connect();
      const metas = (await listAllSecrets(client, { owner: opts.owner })).filter(
        (m) => m.status === "enabled",
      );
      const values: Record<string, string> = {};
      for (let i = 0; i < metas.length; i += 100) {
        const chunk = metas.slice(i, i + 100);
        const results = await client.secret.batchReveal.mutate({
          items: chunk.map((m) => ({ secret: m.uri })),
        });
        results.forEach((r, j) => {
          const meta = chunk[j]!;
          const key = opts.owner !== undefined ? meta.name : `${meta.owner}/${meta.name}`;
          if (r.ok) values[key] = r.value;
          else {
            cli.io.err(`${meta.uri}: ${r.error.errorCode}: ${r.error.message}\n`);
            cli.exitCode = 1; // an incomplete export must not look like a good one
          }
        });
      }
      if (opts.format === "json") return cli.io.out(`${JSON.stringify(values, null, 2)}\n`);
      for (const [name, value] of Object.entries(values)) {
        const line = dotenvLine(name.replace("/", "__"), value);
        if (line !== undefined) cli.io.out(`${line}\n`);
        else {
          // One value dotenv cannot hold does not stop the rest: it is named, and the exit says so.
          cli.io.err(
            `${name}: dotenv has no form for this value, skipped (--format json holds it)\n`,
          );
          cli.exitCode = 1;
        }
      }
    });
}
