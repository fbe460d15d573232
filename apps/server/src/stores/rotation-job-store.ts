/**
 * The rotation job store: rotation jobs (`rotation_jobs`) and their step log
 * (`rotation_job_steps`), the only module that names these tables (migration 007). Never a
 * value: a job names the version it wrote; errors are the server's words.
 */
import type { JobMode, JobPhase, JobState, JobStep } from "@coffer/core";
import type { Queryable } from "../db/database.js";

export type JobTrigger = "schedule" | "manual" | "retry" | "rollback";

export interface JobRow {
  id: string;
  secret_id: number;
  rotator_id: number | null;
  rotator: string;
  mode: JobMode;
  trigger: JobTrigger;
  phase: JobPhase;
  state: JobState;
  step: JobStep;
  attempt: number;
  max_attempts: number;
  pending_version: number | null;
  lease_owner: string | null;
  lease_until: Date | null;
  next_attempt_at: Date;
  error: string | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  ended_at: Date | null;
  /** Lookup hash of the job's current `cfj_` token (null: none, always once ended). */
  token_lookup: string | null;
  /** Set while a callback-mode webhook rotator owns the steps; see migration 008. */
  callback_deadline: Date | null;
  /** Reverts of this attempt that errored; bounded by the engine. */
  revert_errors: number;
}

/** A job claimed by an executor, with who held its lease before (null: nobody). */
export type ClaimedJob = JobRow & { was_owner: string | null };

export type NewJob = Omit<
  JobRow,
  | "lease_owner"
  | "lease_until"
  | "error"
  | "updated_at"
  | "ended_at"
  | "pending_version"
  | "token_lookup"
  | "callback_deadline"
  | "revert_errors"
>;

/** The columns a transition changes (saveJob writes them all). */
export type JobChange = Pick<
  JobRow,
  | "trigger"
  | "phase"
  | "state"
  | "step"
  | "attempt"
  | "pending_version"
  | "lease_owner"
  | "lease_until"
  | "next_attempt_at"
  | "error"
  | "updated_at"
  | "ended_at"
  | "token_lookup"
  | "callback_deadline"
  | "revert_errors"
>;

export interface StepRow {
  job_id: string;
  step: JobStep;
  attempt: number;
  outcome: "done" | "failed" | "replayed";
  started_at: Date;
  ended_at: Date;
  error: string | null;
}

const JOB_COLUMNS = `j.id, j.secret_id, j.rotator_id, j.rotator, j.mode, j.trigger, j.phase, j.state,
  j.step, j.attempt, j.max_attempts, j.pending_version, j.lease_owner, j.lease_until,
  j.next_attempt_at, j.error, j.created_at, j.created_by, j.updated_at, j.ended_at, j.token_lookup,
  j.callback_deadline, j.revert_errors`;

export const rotationJobStore = {
  /**
   * The new job; undefined when the secret already has an active one (the unique partial
   * index: of two inserts at once, one wins).
   */
  async insert(q: Queryable, job: NewJob): Promise<JobRow | undefined> {
    const [row] = await q.query<JobRow>(
      `INSERT INTO rotation_jobs AS j (id, secret_id, rotator_id, rotator, mode, trigger, phase, state,
           step, attempt, max_attempts, next_attempt_at, created_at, created_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13)
         ON CONFLICT (secret_id) WHERE ended_at IS NULL DO NOTHING
         RETURNING ${JOB_COLUMNS}`,
      [
        job.id,
        job.secret_id,
        job.rotator_id,
        job.rotator,
        job.mode,
        job.trigger,
        job.phase,
        job.state,
        job.step,
        job.attempt,
        job.max_attempts,
        job.next_attempt_at,
        job.created_at,
        job.created_by,
      ],
    );
    return row;
  },

  /** The secret's active job, locked for update with `lock`. */
  async active(q: Queryable, secretId: number, lock = false): Promise<JobRow | undefined> {
    const [row] = await q.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM rotation_jobs j WHERE j.secret_id = $1 AND j.ended_at IS NULL
       ${lock ? "FOR UPDATE" : ""}`,
      [secretId],
    );
    return row;
  },

  /** Whether the secret has an active job (stage moves and pending writes wait for its end). */
  async activeId(q: Queryable, secretId: number): Promise<string | undefined> {
    const [row] = await q.query<{ id: string }>(
      "SELECT id FROM rotation_jobs WHERE secret_id = $1 AND ended_at IS NULL",
      [secretId],
    );
    return row?.id;
  },

  async find(q: Queryable, id: string): Promise<JobRow | undefined> {
    const [row] = await q.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM rotation_jobs j WHERE j.id = $1`,
      [id],
    );
    return row;
  },

  /** The active job holding this token lookup hash, locked for update. */
  async byToken(q: Queryable, lookup: string): Promise<JobRow | undefined> {
    const [row] = await q.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM rotation_jobs j WHERE j.token_lookup = $1 AND j.ended_at IS NULL`,
      [lookup],
    );
    return row;
  },

  /** The secret's newest job (retry and rollback act on it), locked for update. */
  async latest(q: Queryable, secretId: number): Promise<JobRow | undefined> {
    const [row] = await q.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM rotation_jobs j WHERE j.secret_id = $1
       ORDER BY j.created_at DESC, j.id DESC LIMIT 1 FOR UPDATE`,
      [secretId],
    );
    return row;
  },

  async activeCount(q: Queryable): Promise<number> {
    const [row] = await q.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM rotation_jobs WHERE ended_at IS NULL",
    );
    return row?.n ?? 0;
  },

  /** The job, locked for update (a step's transaction: the lease and phase are checked on it). */
  async lock(q: Queryable, id: string): Promise<JobRow | undefined> {
    const [row] = await q.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM rotation_jobs j WHERE j.id = $1 FOR UPDATE`,
      [id],
    );
    return row;
  },

  async save(q: Queryable, id: string, c: JobChange): Promise<void> {
    await q.query(
      `UPDATE rotation_jobs SET phase = $2, state = $3, step = $4, attempt = $5, pending_version = $6,
         lease_owner = $7, lease_until = $8, next_attempt_at = $9, error = $10, updated_at = $11,
         ended_at = $12, trigger = $13, token_lookup = $14, callback_deadline = $15,
         revert_errors = $16
       WHERE id = $1`,
      [
        id,
        c.phase,
        c.state,
        c.step,
        c.attempt,
        c.pending_version,
        c.lease_owner,
        c.lease_until,
        c.next_attempt_at,
        c.error,
        c.updated_at,
        c.ended_at,
        c.trigger,
        c.token_lookup,
        c.callback_deadline,
        c.revert_errors,
      ],
    );
  },

  /**
   * Leases up to `limit` active jobs that are due (`next_attempt_at` ≤ now) and whose lease is
   * free or expired, skipping rows another replica is claiming; returns them with their
   * previous lease holder (a takeover when not null).
   */
  claimDue(
    q: Queryable,
    owner: string,
    now: Date,
    leaseUntil: Date,
    limit: number,
  ): Promise<ClaimedJob[]> {
    return q.query<ClaimedJob>(
      `WITH due AS (
         SELECT id, lease_owner AS was_owner FROM rotation_jobs
         WHERE ended_at IS NULL AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
         ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE rotation_jobs j SET lease_owner = $1, lease_until = $3
       FROM due WHERE j.id = due.id
       RETURNING ${JOB_COLUMNS}, due.was_owner`,
      [owner, now, leaseUntil, limit],
    );
  },

  /** Gives up `owner`'s lease on the job (the next claim is not a takeover). */
  async release(q: Queryable, id: string, owner: string): Promise<void> {
    await q.query(
      "UPDATE rotation_jobs SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
      [id, owner],
    );
  },

  async addStep(q: Queryable, s: StepRow): Promise<void> {
    await q.query(
      `INSERT INTO rotation_job_steps (job_id, step, attempt, outcome, started_at, ended_at, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [s.job_id, s.step, s.attempt, s.outcome, s.started_at, s.ended_at, s.error],
    );
  },

  /** A page of the secret's jobs, newest first, before the job `before` (the cursor). */
  page(
    q: Queryable,
    secretId: number,
    state: JobState | null,
    before: { at: Date; id: string } | null,
    limit: number,
  ): Promise<JobRow[]> {
    return q.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM rotation_jobs j
       WHERE j.secret_id = $1 AND ($2::text IS NULL OR j.state = $2)
         AND ($3::timestamptz IS NULL OR (j.created_at, j.id) < ($3, $4))
       ORDER BY j.created_at DESC, j.id DESC LIMIT $5`,
      [secretId, state, before?.at ?? null, before?.id ?? "", limit],
    );
  },

  /** The steps of these jobs, in order. */
  steps(q: Queryable, jobIds: readonly string[]): Promise<StepRow[]> {
    return q.query<StepRow>(
      `SELECT job_id, step, attempt, outcome, started_at, ended_at, error FROM rotation_job_steps
       WHERE job_id = ANY($1::text[]) ORDER BY id`,
      [jobIds],
    );
  },
};

export type RotationJobStore = typeof rotationJobStore;
