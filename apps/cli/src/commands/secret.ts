/**
 * `coffer secret …`: add, ls, get, describe, rotate, rollback, rm, restore, disable, enable,
 * used-by, where-used, edit, promote, import, export. As Neu.ro's CLI, `add` and `rm` say
 * nothing when all went well: scripts see only what needs attention.
 */
import { toCofferError } from "@coffer/client";
import type { SecretUsedByView } from "@coffer/core";
import type { Command } from "commander";
import { listAllSecrets, secretRef, type Cli } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { describeFailure } from "../failure.js";
import { json, table, type Io } from "../output.js";
import { readValue } from "../value-source.js";
import { generateOptions, withGenerateOptions, type GenerateFlags } from "./generate-options.js";
import { registerTransfer } from "./secret-transfer.js";
import { registerSecretStages } from "./secret-stages.js";

const EXAMPLES = `
Examples (a value never goes on the command line, where history and ps keep it):
  coffer secret add db-password @~/db-password.txt
  printf %s "$DB_PASSWORD" | coffer secret add db-password -
  coffer secret add api-key --generate --length 40 --description "payments API"
  coffer secret ls --owner backend --json
  coffer secret get db-password > db-password.txt
  coffer secret rotate db-password @new-password.txt --pending
  coffer secret promote db-password
  coffer secret import .env --owner backend
`;

interface ValueFlags extends GenerateFlags {
  generate?: boolean;
}

async function valueOrGenerate(
  cli: Cli,
  source: string | undefined,
  flags: ValueFlags,
  form: string,
) {
  if (flags.generate) {
    if (source !== undefined) throw new UsageError("give a value or --generate, not both", form);
    return { generate: generateOptions(flags) };
  }
  if (source === undefined)
    throw new UsageError("a value is needed: VALUE, @FILE, - (stdin) or --generate", form);
  return { value: await readValue(source, cli.stdin) };
}

type Dependents = Omit<SecretUsedByView, "secret">;

/** The hooks, automations and rotators naming a secret, one a line, indented. */
function printDependents(write: Io["out"], d: Dependents): void {
  for (const h of d.hooks)
    write(`  hook ${h.ref} (${h.via === "signingSecret" ? "its signing key" : "a template"})\n`);
  for (const a of d.automations) write(`  automation ${a.ref} (fires ${a.hook})\n`);
  for (const r of d.rotators)
    write(
      `  rotator ${r.ref} (${r.via === "signingSecret" ? "its signing key" : "admin secret"})\n`,
    );
  if (d.others > 0) write(`  ${d.others} more you cannot see\n`);
}

/**
 * Runs a delete or disable; when the server refuses it because hooks, automations or rotators
 * name the secret, shows them and runs it again acknowledging them: at once with --yes, after
 * a "y" on a terminal. Without either, the server's refusal stands.
 */
async function acknowledgingUse<T>(
  cli: Cli,
  doing: "Delete" | "Disable",
  yes: boolean | undefined,
  call: (acknowledgeUsedBy: boolean) => Promise<T>,
): Promise<T> {
  try {
    return await call(false);
  } catch (error) {
    const refusal = toCofferError(error);
    if (refusal.errorCode !== "INVALID_STATUS" || refusal.details["reason"] !== "secret-in-use")
      throw error;
    if (!yes && !cli.io.stdinIsTty) throw error;
    cli.io.err("It is used by:\n");
    printDependents((t) => cli.io.err(t), refusal.details as unknown as Dependents);
    if (!yes) {
      const answer = await cli.io.askHidden(`${doing} it anyway? [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim()))
        throw new CliError(`not ${doing === "Delete" ? "deleted" : "disabled"}`);
    }
    return call(true);
  }
}

export function registerSecret(program: Command, cli: Cli): void {
  const secret = program
    .command("secret")
    .description("keep, read and manage secrets")
    .addHelpText("after", EXAMPLES);

  const addForm =
    "coffer secret add NAME VALUE|@FILE|- [--owner TEAM] [--description T] [--generate …]";
  withGenerateOptions(
    secret
      .command("add <name> [value]")
      .description("add a secret: VALUE, @FILE, - (stdin) or --generate")
      .option("--owner <owner>", "a team (or user) to own it; yourself by default")
      .option("--description <text>", "what it is for")
      .option("--generate", "generate a random value")
      .addHelpText("after", EXAMPLES),
  ).action(
    async (
      name: string,
      value: string | undefined,
      opts: ValueFlags & { owner?: string; description?: string },
    ) => {
      const source = await valueOrGenerate(cli, value, opts, addForm);
      const { client } = await cli.connect();
      await client.secret.create.mutate({
        secret: secretRef(name, opts.owner),
        ...source,
        ...(opts.description !== undefined ? { description: opts.description } : {}),
      });
    },
  );

  secret
    .command("ls")
    .description("list secrets you can see")
    .option("--owner <owner>", "only this owner's")
    .option("--shared", "only those shared with you")
    .option("--json", "print JSON")
    .action(async (opts: { owner?: string; shared?: boolean; json?: boolean }) => {
      const { client } = await cli.connect();
      const items = await listAllSecrets(client, opts);
      if (opts.json) return json(cli.io, items);
      // One owner's secrets: a KEY column of bare names, as Neu.ro's `secret ls` prints them.
      const first: [string, string] = opts.owner !== undefined ? ["key", "KEY"] : ["name", "NAME"];
      table(
        cli.io,
        items.map((s) => ({
          key: s.name,
          name: `${s.owner}/${s.name}`,
          status: s.status,
          version: s.currentVersion,
          updated: s.updatedAt.slice(0, 19).replace("T", " "),
          description: s.description,
        })),
        [
          first,
          ["status", "STATUS"],
          ["version", "VERSION"],
          ["updated", "UPDATED"],
          ["description", "DESCRIPTION"],
        ],
      );
    });

  secret
    .command("get <name>")
    .description("print a secret's value, and only the value")
    .option("--version <n>", "a version number")
    .option("--stage <stage>", "previous or pending")
    .option("--key <key>", "a key of a JSON object value")
    .option("--owner <owner>", "the owner of NAME")
    .action(
      async (
        name: string,
        opts: { version?: string; stage?: string; key?: string; owner?: string },
      ) => {
        if (opts.version !== undefined && opts.stage !== undefined) {
          throw new UsageError(
            "give --version or --stage, not both",
            "coffer secret get NAME [--version N | --stage previous] [--key K]",
          );
        }
        if (opts.version !== undefined && !/^[1-9]\d{0,8}$/.test(opts.version)) {
          throw new UsageError("--version takes a version number");
        }
        if (opts.stage !== undefined && !["current", "previous", "pending"].includes(opts.stage)) {
          throw new UsageError("--stage is current, previous or pending");
        }
        const { client } = await cli.connect();
        const revealed = await client.secret.reveal
          .mutate({
            secret: secretRef(name, opts.owner),
            ...(opts.version !== undefined ? { version: Number(opts.version) } : {}),
            ...(opts.stage !== undefined
              ? { stage: opts.stage as "current" | "previous" | "pending" }
              : {}),
            ...(opts.key !== undefined ? { key: opts.key } : {}),
          })
          .catch(async (error: unknown) => {
            const bare = secretRef(name);
            if (opts.owner !== undefined || bare.includes("/")) throw error;
            if (toCofferError(error).errorCode !== "NOT_FOUND") throw error;
            throw new CliError(
              `${describeFailure(error, cli.target)}${await sharedNamed(cli, bare)}`,
            );
          });
        cli.io.out(cli.io.isTty ? `${revealed.value}\n` : revealed.value);
      },
    );

  secret
    .command("describe <name>")
    .description("a secret's metadata and versions (never its value)")
    .option("--owner <owner>", "the owner of NAME")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { owner?: string; json?: boolean }) => {
      const { client } = await cli.connect();
      const ref = secretRef(name, opts.owner);
      const [meta, versions] = await Promise.all([
        client.secret.describe.query({ secret: ref }),
        client.secret.versions.query({ secret: ref }),
      ]);
      if (opts.json) return json(cli.io, { ...meta, versions });
      const lines: [string, string][] = [
        ["uri", meta.uri],
        ["description", meta.description || "-"],
        ["status", meta.status + (meta.deletionDate ? ` (deleted on ${meta.deletionDate})` : "")],
        ["current", String(meta.currentVersion)],
        ["previous", String(meta.previousVersion ?? "-")],
        ["pending", String(meta.pendingVersion ?? "-")],
        ["protection key", meta.protectionKeyId],
        ["created", `${meta.createdAt} by ${meta.createdBy}`],
        ["updated", `${meta.updatedAt} by ${meta.updatedBy}`],
      ];
      for (const [k, v] of lines) cli.io.out(`${`${k}:`.padEnd(16)}${v}\n`);
      cli.io.out("versions:\n");
      for (const v of versions)
        cli.io.out(
          `  ${String(v.version).padStart(4)}  ${v.createdAt}  ${v.createdBy}  ${v.stages.join(",")}\n`,
        );
    });

  const rotateForm = "coffer secret rotate NAME VALUE|@FILE|-|--generate [--pending]";
  withGenerateOptions(
    secret
      .command("rotate <name> [value]")
      .description("store a new current version: VALUE, @FILE, - (stdin) or --generate")
      .option("--owner <owner>", "the owner of NAME")
      .option("--generate", "generate a random value")
      .option("--pending", "store it as pending; `coffer secret promote NAME` makes it current"),
  ).action(
    async (
      name: string,
      value: string | undefined,
      opts: ValueFlags & { owner?: string; pending?: boolean },
    ) => {
      const source = await valueOrGenerate(cli, value, opts, rotateForm);
      const { client } = await cli.connect();
      const written = await client.secret.put.mutate({
        secret: secretRef(name, opts.owner),
        ...source,
        ...(opts.pending ? { stage: "pending" as const } : {}),
      });
      cli.io.err(
        opts.pending
          ? `Stored ${written.uri} version ${written.version} as pending: \`coffer secret promote\` makes it current\n`
          : `Rotated ${written.uri}: version ${written.version} is current\n`,
      );
    },
  );

  secret
    .command("rollback <name>")
    .description("make the previous version current again")
    .option("--owner <owner>", "the owner of NAME")
    .action(async (name: string, opts: { owner?: string }) => {
      const { client } = await cli.connect();
      const meta = await client.secret.rollback.mutate({ secret: secretRef(name, opts.owner) });
      cli.io.err(`Rolled back ${meta.uri}: version ${meta.currentVersion} is current\n`);
    });

  secret
    .command("rm <name>")
    .description(
      "schedule deletion (recovery window 7–30 days, default 7), or delete now with --now --yes",
    )
    .option("--owner <owner>", "the owner of NAME")
    .option("--recovery-days <n>", "days before it is gone (7 to 30)")
    .option("--now", "delete at once, without recovery")
    .option("--yes", "confirm --now, and delete even if hooks, automations or rotators use it")
    .action(
      async (
        name: string,
        opts: { owner?: string; recoveryDays?: string; now?: boolean; yes?: boolean },
      ) => {
        const form = "coffer secret rm NAME [--recovery-days N | --now --yes]";
        if (opts.now && !opts.yes)
          throw new UsageError("--now deletes at once and for good: add --yes to confirm", form);
        if (opts.now && opts.recoveryDays !== undefined)
          throw new UsageError("give --recovery-days or --now, not both", form);
        if (opts.recoveryDays !== undefined && !/^\d{1,2}$/.test(opts.recoveryDays)) {
          throw new UsageError("--recovery-days takes a number of days from 7 to 30", form);
        }
        const { client } = await cli.connect();
        let warned = false;
        const done = await acknowledgingUse(cli, "Delete", opts.yes, (acknowledgeUsedBy) => {
          warned = acknowledgeUsedBy;
          return client.secret.delete.mutate({
            secret: secretRef(name, opts.owner),
            ...(opts.now ? { force: true } : {}),
            ...(opts.recoveryDays !== undefined ? { recoveryDays: Number(opts.recoveryDays) } : {}),
            ...(acknowledgeUsedBy ? { acknowledgeUsedBy } : {}),
          });
        });
        // Quiet when all went well (Neu.ro); after a warning, say what was done despite it.
        if (!warned) return;
        if ("deleted" in done) cli.io.err(`Deleted ${done.uri}\n`);
        else
          cli.io.err(
            `Scheduled ${done.uri} for deletion on ${done.deletionDate}; \`coffer secret restore\` undoes it\n`,
          );
      },
    );

  for (const [verb, description] of [
    ["restore", "cancel a scheduled deletion"],
    ["disable", "refuse reads until enabled again"],
    ["enable", "allow reads again"],
  ] as const) {
    const command = secret
      .command(`${verb} <name>`)
      .description(description)
      .option("--owner <owner>", "the owner of NAME");
    if (verb === "disable")
      command.option("--yes", "disable even if hooks, automations or rotators use it");
    command.action(async (name: string, opts: { owner?: string; yes?: boolean }) => {
      const { client } = await cli.connect();
      const input = { secret: secretRef(name, opts.owner) };
      const meta =
        verb === "restore"
          ? await client.secret.restore.mutate(input)
          : verb === "disable"
            ? await acknowledgingUse(cli, "Disable", opts.yes, (acknowledgeUsedBy) =>
                client.secret.disable.mutate({
                  ...input,
                  ...(acknowledgeUsedBy ? { acknowledgeUsedBy } : {}),
                }),
              )
            : await client.secret.enable.mutate(input);
      cli.io.err(`${meta.uri} is ${meta.status}\n`);
    });
  }

  secret
    .command("used-by <name>")
    .description("the hooks, automations and rotators that name a secret")
    .option("--owner <owner>", "the owner of NAME")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { owner?: string; json?: boolean }) => {
      const { client } = await cli.connect();
      const view = await client.secret.usedBy.query({ secret: secretRef(name, opts.owner) });
      if (opts.json) return json(cli.io, view);
      const none =
        view.hooks.length + view.automations.length + view.rotators.length + view.others === 0;
      cli.io.out(none ? `Nothing uses ${view.secret}\n` : `${view.secret} is used by:\n`);
      printDependents((t) => cli.io.out(t), view);
    });

  registerSecretStages(secret, cli);
  registerTransfer(secret, cli);
}

/** " (did you mean OWNER/NAME?)" when secrets of that name are shared with the caller. */
async function sharedNamed(cli: Cli, name: string): Promise<string> {
  try {
    const { client } = await cli.connect();
    const refs = (await listAllSecrets(client, { shared: true }))
      .filter((s) => s.name === name)
      .map((s) => `${s.owner}/${s.name}`);
    return refs.length > 0 ? ` (did you mean ${refs.join(" or ")}?)` : "";
  } catch {
    return ""; // the hint is a courtesy: the failure it decorates is what matters
  }
}
