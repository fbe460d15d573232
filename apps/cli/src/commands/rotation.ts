/**
 * `coffer rotation set|show|run|test|cancel|jobs` and `coffer rotator add|ls|rm` (SPEC §11).
 * Durations and crons go to the server as written: it checks them. Never a value.
 */
import type { CofferClient } from "@coffer/client";
import type { Command } from "commander";
import { secretRef, type Cli } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { json, table } from "../output.js";

type JobView = Awaited<ReturnType<CofferClient["rotation"]["run"]["mutate"]>>;

const SET_FORM =
  'coffer rotation set SECRET --rotator R [--every 90d | --cron "…"] [--window 1h] [--targets k1,k2] [--no-auto]';
const ADD_FORM =
  "coffer rotator add NAME --kind random|postgres|webhook [--owner O] [--admin-secret S --role R] [--url U] [--signing-secret S]";
/** How often `--wait` asks, and how long it waits at most (a job retries with backoff). */
const WAIT_POLL_MS = 500;
const WAIT_DEADLINE_MS = 30 * 60_000;

const time = (t: string | null): string | null => t && t.slice(0, 19).replace("T", " ");

function printJobs(cli: Cli, jobs: readonly JobView[]): void {
  table(
    cli.io,
    jobs.map((j) => ({ ...j, createdAt: time(j.createdAt), finishedAt: time(j.finishedAt) })),
    [
      ["id", "JOB"],
      ["mode", "MODE"],
      ["trigger", "TRIGGER"],
      ["state", "STATE"],
      ["step", "STEP"],
      ["attempt", "ATTEMPT"],
      ["version", "VERSION"],
      ["createdAt", "STARTED"],
      ["finishedAt", "ENDED"],
      ["error", "ERROR"],
    ],
  );
}

/** Asks for the job until it is no longer running or retrying. */
async function waitForJob(client: CofferClient, job: JobView): Promise<JobView> {
  const deadline = Date.now() + WAIT_DEADLINE_MS;
  let current = job;
  while (current.state === "running" || current.state === "retrying") {
    if (Date.now() > deadline) {
      throw new CliError(`job ${job.id} is still ${current.state}: see \`coffer rotation jobs\``);
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    const page = await client.rotation.jobs.query({ secret: job.secret, limit: 20 });
    current = page.items.find((j) => j.id === job.id) ?? current;
  }
  return current;
}

function registerStart(
  rotation: Command,
  cli: Cli,
  verb: "run" | "test",
  description: string,
): void {
  rotation
    .command(`${verb} <secret>`)
    .description(description)
    .option("--wait", "wait for the job to end; exit 1 unless it succeeded")
    .option("--json", "print the job as JSON")
    .action(async (name: string, opts: { wait?: boolean; json?: boolean }) => {
      const { client } = await cli.connect();
      const started = await client.rotation[verb].mutate({ secret: secretRef(name) });
      const job = opts.wait ? await waitForJob(client, started) : started;
      if (opts.wait && job.state !== "succeeded") cli.exitCode = 1;
      if (opts.json) return json(cli.io, job);
      const why = job.error !== null ? `: ${job.error}` : "";
      cli.io.err(`Job ${job.id} on ${job.secret} is ${job.state}${why}\n`);
    });
}

function registerRotation(program: Command, cli: Cli): void {
  const rotation = program
    .command("rotation")
    .description("rotate a secret's value (policies, jobs)");

  rotation
    .command("set <secret>")
    .description("set the secret's rotation policy")
    .requiredOption("--rotator <rotator>", "NAME or OWNER/NAME of the rotator")
    .option("--every <duration>", "period, 1h to 730d (default 90d)")
    .option("--cron <expr>", "5-field UTC cron, instead of --every")
    .option("--window <duration>", "how late a due rotation may start (default 1h)")
    .option("--targets <keys>", "JSON keys to rotate, comma-separated; the whole value without")
    .option("--no-auto", "no schedule: only `coffer rotation run`")
    .action(
      async (
        name: string,
        opts: {
          rotator: string;
          every?: string;
          cron?: string;
          window?: string;
          targets?: string;
          auto: boolean;
        },
      ) => {
        if (opts.every !== undefined && opts.cron !== undefined)
          throw new UsageError("--every and --cron: one or the other", SET_FORM);
        const targets = opts.targets
          ?.split(",")
          .map((t) => t.trim())
          .filter((t) => t !== "");
        const { client } = await cli.connect();
        const policy = await client.rotation.configure.mutate({
          secret: secretRef(name),
          rotator: opts.rotator,
          auto: opts.auto,
          ...(opts.every !== undefined ? { every: opts.every } : {}),
          ...(opts.cron !== undefined ? { cron: opts.cron } : {}),
          ...(opts.window !== undefined ? { window: opts.window } : {}),
          ...(targets !== undefined && targets.length > 0 ? { targets } : {}),
        });
        const next = policy.nextDueAt !== null ? `, next ${time(policy.nextDueAt)}` : "";
        cli.io.err(`Rotation of ${policy.secret} set: ${policy.rotator}${next}\n`);
      },
    );

  rotation
    .command("show <secret>")
    .description("the secret's rotation policy")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { json?: boolean }) => {
      const { client } = await cli.connect();
      const p = await client.rotation.get.query({ secret: secretRef(name) });
      if (opts.json) return json(cli.io, p);
      const rows: [string, unknown][] = [
        ["secret", p.secret],
        ["rotator", p.rotator],
        ["schedule", p.cron !== null ? `cron ${p.cron}` : `every ${p.every ?? "-"}`],
        ["window", p.window],
        ["auto", p.auto],
        ["targets", p.targets.length > 0 ? p.targets.join(",") : "(whole value)"],
        ["last rotated", time(p.lastRotatedAt) ?? "-"],
        ["next due", time(p.nextDueAt) ?? "-"],
        ["active job", p.activeJob ?? "-"],
      ];
      for (const [key, value] of rows) cli.io.out(`${`${key}:`.padEnd(14)}${String(value)}\n`);
    });

  registerStart(rotation, cli, "run", "rotate now (a job: create, set, test, finish)");
  registerStart(rotation, cli, "test", "a dry run: create and test a value, never promote it");

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
    .option("--json", "print JSON")
    .action(async (name: string, opts: { json?: boolean }) => {
      const { client } = await cli.connect();
      const page = await client.rotation.jobs.query({ secret: secretRef(name), limit: 100 });
      if (opts.json) return json(cli.io, page.items);
      printJobs(cli, page.items);
    });
}

function registerRotator(program: Command, cli: Cli): void {
  const rotator = program.command("rotator").description("how secrets get new values");

  rotator
    .command("add <name>")
    .description("make a rotator")
    .requiredOption("--kind <kind>", "random, postgres or webhook")
    .option("--owner <team>", "a team that owns it (default: you)")
    .option("--admin-secret <secret>", "postgres: the secret holding the admin connection string")
    .option("--role <role>", "postgres: the role whose password rotates")
    .option("--url <url>", "webhook: where Coffer calls")
    .option("--signing-secret <secret>", "webhook: the secret holding the signing key")
    .action(
      async (
        name: string,
        opts: {
          kind: string;
          owner?: string;
          adminSecret?: string;
          role?: string;
          url?: string;
          signingSecret?: string;
        },
      ) => {
        const { kind } = opts;
        if (kind !== "random" && kind !== "postgres" && kind !== "webhook")
          throw new UsageError("--kind is random, postgres or webhook", ADD_FORM);
        const pg = opts.adminSecret !== undefined || opts.role !== undefined;
        const hook = opts.url !== undefined || opts.signingSecret !== undefined;
        if ((pg && kind !== "postgres") || (hook && kind !== "webhook"))
          throw new UsageError(`these options do not go with --kind ${kind}`, ADD_FORM);
        if (kind === "postgres" && (opts.adminSecret === undefined || opts.role === undefined))
          throw new UsageError("--kind postgres needs --admin-secret and --role", ADD_FORM);
        if (kind === "webhook" && opts.url === undefined)
          throw new UsageError("--kind webhook needs --url", ADD_FORM);
        const { client } = await cli.connect();
        const made = await client.rotator.create.mutate({
          name,
          kind,
          ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
          ...(kind === "postgres"
            ? { postgres: { adminSecret: secretRef(opts.adminSecret!), role: opts.role! } }
            : {}),
          ...(kind === "webhook"
            ? {
                webhook: {
                  url: opts.url!,
                  ...(opts.signingSecret !== undefined
                    ? { signingSecret: secretRef(opts.signingSecret) }
                    : {}),
                },
              }
            : {}),
        });
        cli.io.err(`Rotator ${made.ref} (${made.kind}) made\n`);
      },
    );

  for (const verb of ["ls", "list"]) {
    rotator
      .command(verb)
      .description("rotators you can use")
      .option("--owner <owner>", "only this user's or team's")
      .option("--json", "print JSON")
      .action(async (opts: { owner?: string; json?: boolean }) => {
        const { client } = await cli.connect();
        const page = await client.rotator.list.query({
          limit: 500,
          ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
        });
        if (opts.json) return json(cli.io, page.items);
        table(
          cli.io,
          page.items.map((r) => ({ ...r, createdAt: time(r.createdAt) })),
          [
            ["ref", "ROTATOR"],
            ["kind", "KIND"],
            ["createdBy", "MADE BY"],
            ["createdAt", "CREATED"],
            ["description", "DESCRIPTION"],
          ],
        );
      });
  }

  rotator
    .command("rm <name>")
    .description("delete a rotator (refused while a secret uses it)")
    .action(async (name: string) => {
      const { client } = await cli.connect();
      await client.rotator.delete.mutate({ rotator: name });
      cli.io.err(`Deleted rotator ${name}\n`);
    });
}

export function registerRotationCommands(program: Command, cli: Cli): void {
  registerRotation(program, cli);
  registerRotator(program, cli);
}
