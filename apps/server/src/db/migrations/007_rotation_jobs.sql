-- Rotation jobs (SPEC §11): each run of a rotation policy, the phase core's job machine has it
-- in (packages/core/src/rotation/job-machine.ts), its lease, and a log of its steps. Never a
-- value: `error` and the steps' `error` are words the server wrote, and the value the job
-- made is a secret version (`pending_version`), sealed like any other.

-- `phase` is one of core's JobPhase names; `state` and `step` are what the API shows (a
-- failed job keeps showing the step it stopped at). A job is active until `ended_at` is set:
-- the unique partial index holds one active job per secret, whatever the service checked
-- first (two `rotation.run` at once: one insert wins). The executor claims active jobs whose
-- `next_attempt_at` has come and whose lease is free or expired, `FOR UPDATE SKIP LOCKED`.
-- `rotator_id` is cleared if the rotator is deleted later (a policy in use keeps it alive;
-- old jobs do not); `rotator` keeps its OWNER/NAME for the log.
CREATE TABLE rotation_jobs (
  id text PRIMARY KEY,
  secret_id bigint NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
  rotator_id bigint REFERENCES rotators (id) ON DELETE SET NULL,
  rotator text NOT NULL,
  mode text NOT NULL CHECK (mode IN ('rotation', 'dryRun')),
  trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'retry', 'rollback')),
  phase text NOT NULL,
  state text NOT NULL,
  step text NOT NULL,
  attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  pending_version integer,
  lease_owner text,
  lease_until timestamptz,
  next_attempt_at timestamptz NOT NULL,
  error text,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE UNIQUE INDEX rotation_jobs_one_active ON rotation_jobs (secret_id) WHERE ended_at IS NULL;
CREATE INDEX rotation_jobs_due ON rotation_jobs (next_attempt_at) WHERE ended_at IS NULL;
CREATE INDEX rotation_jobs_of_secret ON rotation_jobs (secret_id, created_at DESC, id DESC);

-- One row per step run that ended: done, failed, or replayed (a lease taken over, the step
-- run again). `error` never holds a value.
CREATE TABLE rotation_job_steps (
  id bigserial PRIMARY KEY,
  job_id text NOT NULL REFERENCES rotation_jobs (id) ON DELETE CASCADE,
  step text NOT NULL,
  attempt integer NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('done', 'failed', 'replayed')),
  started_at timestamptz NOT NULL,
  ended_at timestamptz NOT NULL,
  error text
);
CREATE INDEX rotation_job_steps_job ON rotation_job_steps (job_id, id);
