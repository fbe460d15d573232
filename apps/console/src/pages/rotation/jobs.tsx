/** A secret's rotation jobs (SPEC §11, NAVER's secret logs): steps, times, errors, never a value. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { JobState, RotationJobView } from "@coffer/core";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { ErrorNotice } from "../../ui/error-notice.js";
import { useCursorPages } from "../../ui/pagination.js";
import type { Column } from "../../ui/table.js";
import { Time } from "../../ui/time.js";
import { PagedTable } from "../../ui/paged-table.js";
import { Section } from "../../ui/section.js";
import { SelectField } from "../../ui/select-field.js";

/** JOB_STATES of core, in words (copied: the console imports no runtime code from core). */
export const jobStateText: Record<JobState, string> = {
  running: "Running",
  retrying: "Retrying",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
  rolled_back: "Rolled back",
};
const states = Object.keys(jobStateText) as JobState[];

export const isActive = (job: Pick<RotationJobView, "state">) =>
  job.state === "running" || job.state === "retrying";

/** How often a page with an active job asks again (jobs move on the server's time). */
export const ACTIVE_POLL_MS = 2_000;

export function JobState(props: { state: JobState }) {
  return <span className={`status status-${props.state}`}>{jobStateText[props.state]}</span>;
}

function Steps(props: { job: RotationJobView }) {
  if (props.job.steps.length === 0) return <span className="muted">None yet</span>;
  return (
    <details>
      <summary>
        {props.job.steps.length} step{props.job.steps.length === 1 ? "" : "s"}
      </summary>
      <ol className="steps">
        {props.job.steps.map((s, i) => (
          <li key={i}>
            <strong>{s.step}</strong> (attempt {s.attempt}): {s.outcome}, <Time iso={s.startedAt} />
            {s.error !== null && <> — {s.error}</>}
          </li>
        ))}
      </ol>
    </details>
  );
}

const columns: Column<RotationJobView>[] = [
  { header: "Job", cell: (j) => <code>{j.id}</code> },
  {
    header: "Mode",
    cell: (j) => `${j.mode === "dryRun" ? "Dry run" : "Rotation"}, ${j.trigger}`,
  },
  {
    header: "State",
    cell: (j) => (
      <>
        <JobState state={j.state} />
        {j.state === "retrying" && j.nextAttemptAt !== null && (
          <>
            {" "}
            next try <Time iso={j.nextAttemptAt} />
          </>
        )}
      </>
    ),
  },
  { header: "Step", cell: (j) => `${j.step} (attempt ${j.attempt} of ${j.maxAttempts})` },
  { header: "Version", cell: (j) => (j.version === null ? "—" : `v${j.version}`), optional: true },
  { header: "Started", cell: (j) => <Time iso={j.createdAt} /> },
  {
    header: "Error",
    cell: (j) =>
      j.error === null ? (
        <span className="muted">—</span>
      ) : (
        <div className="cell-wrap">{j.error}</div>
      ),
  },
  {
    header: "Steps",
    cell: (j) => (
      <div className="cell-wrap">
        <Steps job={j} />
      </div>
    ),
  },
];

export function JobsSection(props: { secret: string }) {
  const trpc = useTRPC();
  const [state, setState] = useState<JobState | "">("");
  const pages = useCursorPages(JSON.stringify([props.secret, state]));
  const jobs = useQuery({
    ...trpc.rotation.jobs.queryOptions({
      secret: props.secret,
      ...(state === "" ? {} : { state }),
      ...(pages.cursor === undefined ? {} : { cursor: pages.cursor }),
    }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some(isActive) ? ACTIVE_POLL_MS : false),
  });
  return (
    <Section id="jobs" title="Jobs">
      <div className="toolbar">
        <SelectField
          label="State"
          value={state}
          onChange={setState}
          options={[["", "Any state"], ...states.map((s) => [s, jobStateText[s]] as const)]}
        />
      </div>
      <ErrorNotice error={jobs.error} action="list this secret's rotation jobs" />
      <PagedTable
        label="Rotation jobs"
        what="jobs"
        columns={columns}
        query={jobs}
        rowKey={(j) => j.id}
        pages={pages}
        empty={
          <p>
            {state === ""
              ? "No jobs yet. Run now (or a dry run) starts one; a schedule starts them when due."
              : `No ${jobStateText[state].toLowerCase()} jobs.`}
          </p>
        }
      />
    </Section>
  );
}
