/**
 * The job commands of `coffer rotation` (SPEC §11): `run`, `test`, `retry` and `rollback` each
 * start (or reopen) the secret's job and print it; with `--wait` they follow it to its end and
 * exit 1 unless it ended as that verb hopes. Also how jobs are shown. Never a value.
 */
import type { CofferClient } from "@coffer/client";
import type { Command } from "commander";
import { secretRef, type Cli } from "../context.js";
import { CliError } from "../errors.js";
import { json, table } from "../output.js";

export type JobView = Awaited<ReturnType<CofferClient["rotation"]["run"]["mutate"]>>;
export type JobVerb = "run" | "test" | "retry" | "rollback";

/** How often `--wait` asks, and how long it waits at most (a job retries with backoff). */
const WAIT_POLL_MS = 500;
const WAIT_DEADLINE_MS = 30 * 60_000;
const FIND_PAGE = 50;

/** What each verb does, and the state its job ends in when all went well. */
const VERBS: Record<JobVerb, { description: string; goal: JobView["state"] }> = {
  run: { description: "rotate now (a job: create, set, test, finish)", goal: "succeeded" },
  test: {
    description: "a dry run: create and test a value, never promote it",
    goal: "succeeded",
  },
  retry: {
    description: "start the secret's failed job again, with a fresh value",
    goal: "succeeded",
  },
  rollback: {
    description: "undo the secret's last rotation: the previous value is current again",
    goal: "rolled_back",
  },
};

export const time = (t: string | null): string | null => t && t.slice(0, 19).replace("T", " ");

/** One line about a job, for stderr: `Job job_… on admin/x is failed: why`. */
export function jobLine(job: JobView): string {
  const why = job.error !== null ? `: ${job.error}` : "";
  return `Job ${job.id} on ${job.secret} is ${job.state}${why}\n`;
}

/** Whether a job that ended after `verb` ended as hoped (else the command exits 1). */
export function jobWentWell(verb: JobVerb, job: JobView): boolean {
  return job.state === VERBS[verb].goal;
}

export function printJobs(cli: Cli, jobs: readonly JobView[]): void {
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

/** The job as it is now, looked for page by page (it is nearly always on the first). */
async function findJob(client: CofferClient, job: JobView): Promise<JobView | undefined> {
  let cursor: string | undefined;
  do {
    const page = await client.rotation.jobs.query({
      secret: job.secret,
      limit: FIND_PAGE,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    const found = page.items.find((j) => j.id === job.id);
    if (found !== undefined) return found;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return undefined;
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
    current = (await findJob(client, job)) ?? current;
  }
  return current;
}

export function registerJobCommands(rotation: Command, cli: Cli): void {
  for (const verb of ["run", "test", "retry", "rollback"] as const) {
    rotation
      .command(`${verb} <secret>`)
      .description(VERBS[verb].description)
      .option("--wait", `wait for the job to end; exit 1 unless it ${VERBS[verb].goal}`)
      .option("--json", "print the job as JSON")
      .action(async (name: string, opts: { wait?: boolean; json?: boolean }) => {
        const { client } = await cli.connect();
        const started = await client.rotation[verb].mutate({ secret: secretRef(name) });
        const job = opts.wait ? await waitForJob(client, started) : started;
        if (opts.wait && !jobWentWell(verb, job)) cli.exitCode = 1;
        if (opts.json) return json(cli.io, job);
        cli.io.err(jobLine(job));
      });
  }
}
