-- Rotation jobs driven by other systems (SPEC §11): job tokens, callback deadlines, and a bound
-- on failing reverts.

-- `token_lookup`: the lookup hash of the job's current `cfj_` token (core's jobTokenLookupHash);
-- never the token. A new token is minted for each call to a webhook rotator (the call carries
-- it), which supersedes the one before; ended jobs hold none, so a job's token dies with it.
ALTER TABLE rotation_jobs ADD COLUMN token_lookup text;
CREATE UNIQUE INDEX rotation_jobs_token ON rotation_jobs (token_lookup) WHERE token_lookup IS NOT NULL;

-- `callback_deadline`: set while a callback-mode webhook rotator owns the job's steps (after the
-- start call was answered); the job is not claimed by an executor before it, and a job still
-- waiting then fails its step (retried while attempts are left). Heartbeats push it on.
ALTER TABLE rotation_jobs ADD COLUMN callback_deadline timestamptz;

-- `revert_errors`: reverts of the current attempt that errored (as opposed to ones the rotator
-- said it cannot do); past a bound the job ends `failed`, target state unknown.
ALTER TABLE rotation_jobs ADD COLUMN revert_errors integer NOT NULL DEFAULT 0;

-- `missed_due_at`: the last due time whose window passed without a start, for which the
-- scheduler raised `rotation.missed` (SPEC §11): raised once per missed due time.
ALTER TABLE rotation_policies ADD COLUMN missed_due_at timestamptz;
