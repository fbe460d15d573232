/**
 * `coffer rotation set|show|auto|cancel|jobs` here, `run|test|retry|rollback` in
 * rotation-jobs.ts, and `coffer rotator …` in rotator.ts (SPEC §11). Durations and crons go to
 * the server as written: it checks them. Never a value.
 */
import type { Command } from "commander";
import { secretRef, type Cli } from "../context.js";
import { UsageError } from "../errors.js";
import { json } from "../output.js";
import { collectPages, parseLimit } from "../pages.js";
import { generateOptions, withGenerateOptions, type GenerateFlags } from "./generate-options.js";
import { printJobs, registerJobCommands, time } from "./rotation-jobs.js";
import { registerRotator } from "./rotator.js";

const SET_FORM =
  'coffer rotation set SECRET --rotator R [--every 90d | --cron "…"] [--window 1h] ' +
  "[--targets k1,k2] [--no-auto] [--max-attempts N] [--length N …]";

interface SetFlags extends GenerateFlags {
  rotator: string;
  every?: string;
  cron?: string;
  window?: string;
  targets?: string;
  auto: boolean;
  maxAttempts?: string;
}

/** `rotation.configure`'s input from the flags, after the checks a user can fix by retyping. */
export function policyInput(name: string, flags: SetFlags) {
  if (flags.every !== undefined && flags.cron !== undefined)
    throw new UsageError("--every and --cron: one or the other", SET_FORM);
  const targets = flags.targets
    ?.split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  if (targets !== undefined && targets.length === 0)
    throw new UsageError("--targets takes JSON keys, comma-separated", SET_FORM);
  if (flags.maxAttempts !== undefined && !/^\d{1,3}$/.test(flags.maxAttempts))
    throw new UsageError("--max-attempts takes a whole number from 1 to 10", SET_FORM);
  const generate = generateOptions(flags);
  return {
    secret: secretRef(name),
    rotator: flags.rotator,
    auto: flags.auto,
    ...(flags.every !== undefined ? { every: flags.every } : {}),
    ...(flags.cron !== undefined ? { cron: flags.cron } : {}),
    ...(flags.window !== undefined ? { window: flags.window } : {}),
    ...(targets !== undefined ? { targets } : {}),
    ...(flags.maxAttempts !== undefined ? { maxAttempts: Number(flags.maxAttempts) } : {}),
    ...(Object.keys(generate).length > 0 ? { generate } : {}),
  };
}

function registerRotation(program: Command, cli: Cli): void {
  const rotation = program
    .command("rotation")
    .description("rotate a secret's value (policies, jobs)");

  withGenerateOptions(
    rotation
      .command("set <secret>")
      .description("set the secret's rotation policy (generator options: how values are made)")
      .requiredOption("--rotator <rotator>", "NAME or OWNER/NAME of the rotator")
      .option("--every <duration>", "period, 1h to 730d (default 90d)")
      .option("--cron <expr>", "5-field UTC cron, instead of --every")
      .option("--window <duration>", "how late a due rotation may start (default 1h)")
      .option("--targets <keys>", "JSON keys to rotate, comma-separated; the whole value without")
      .option("--no-auto", "no schedule: only `coffer rotation run`")
      .option("--max-attempts <n>", "attempts before a job fails, 1 to 10 (default 5)"),
  ).action(async (name: string, opts: SetFlags) => {
    const input = policyInput(name, opts);
    const { client } = await cli.connect();
    const policy = await client.rotation.configure.mutate(input);
    const next = policy.nextDueAt !== null ? `, next ${time(policy.nextDueAt)}` : "";
    cli.io.err(`Rotation of ${policy.secret} set: ${policy.rotator}${next}\n`);
  });

  rotation
    .command("show <secret>")
    .description("the secret's rotation policy")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { json?: boolean }) => {
      const { client } = await cli.connect();
      const p = await client.rotation.get.query({ secret: secretRef(name) });
      if (opts.json) return json(cli.io, p);
      const generate = Object.entries(p.generate).map(([k, v]) => `${k}=${String(v)}`);
      const rows: [string, unknown][] = [
        ["secret", p.secret],
        ["rotator", p.rotator],
        ["schedule", p.cron !== null ? `cron ${p.cron}` : `every ${p.every ?? "-"}`],
        ["window", p.window],
        ["auto", p.auto],
        ["targets", p.targets.length > 0 ? p.targets.join(",") : "(whole value)"],
        ["generate", generate.length > 0 ? generate.join(" ") : "(defaults)"],
        ["max attempts", p.maxAttempts],
        ["last rotated", time(p.lastRotatedAt) ?? "-"],
        ["next due", time(p.nextDueAt) ?? "-"],
        ["active job", p.activeJob ?? "-"],
      ];
      for (const [key, value] of rows) cli.io.out(`${`${key}:`.padEnd(14)}${String(value)}\n`);
    });

  rotation
    .command("auto <secret> <on|off>")
    .description("turn scheduled rotation on or off (the policy stays)")
    .action(async (name: string, onOff: string) => {
      if (onOff !== "on" && onOff !== "off")
        throw new UsageError("say on or off", "coffer rotation auto SECRET on|off");
      const { client } = await cli.connect();
      const p = await client.rotation.setAuto.mutate({
        secret: secretRef(name),
        auto: onOff === "on",
      });
      const next = p.nextDueAt !== null ? `, next ${time(p.nextDueAt)}` : "";
      cli.io.err(`Automatic rotation of ${p.secret} is ${p.auto ? "on" : "off"}${next}\n`);
    });

  registerJobCommands(rotation, cli);

  rotation
    .command("cancel <secret>")
    .description("cancel the secret's active rotation job")
    .action(async (name: string) => {
      const { client } = await cli.connect();
      const job = await client.rotation.cancel.mutate({ secret: secretRef(name) });
      cli.io.err(`Job ${job.id} on ${job.secret} is ${job.state}\n`);
    });

  rotation
    .command("jobs <secret>")
    .description("the secret's rotation jobs, newest first (never a value)")
    .option("--limit <n>", "at most N, the newest (default: all)")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { limit?: string; json?: boolean }) => {
      const limit = parseLimit(opts.limit, "coffer rotation jobs SECRET [--limit N] [--json]");
      const { client } = await cli.connect();
      const secret = secretRef(name);
      const items = await collectPages(
        (page) => client.rotation.jobs.query({ secret, ...page }),
        limit,
      );
      if (opts.json) return json(cli.io, items);
      printJobs(cli, items);
    });
}

export function registerRotationCommands(program: Command, cli: Cli): void {
  registerRotation(program, cli);
  registerRotator(program, cli);
}
