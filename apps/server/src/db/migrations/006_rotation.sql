-- Rotation (SPEC §11), its configuration: rotators and one rotation policy per secret. Jobs
-- come with the job engine. No value is stored here: a rotator names, by reference, the
-- Coffer secrets that hold what it needs (a PostgreSQL admin connection string, a webhook's
-- signing key).

-- A rotator belongs to a user or a team, as a secret does, under a name unique per owner.
-- `config` holds the kind's settings (postgres: adminSecret, role, database; webhook: url,
-- signingSecret, mode), secrets named as OWNER/NAME.
CREATE TABLE rotators (
  id bigserial PRIMARY KEY,
  owner text NOT NULL REFERENCES principals (name),
  name text COLLATE "C" NOT NULL,
  kind text NOT NULL CHECK (kind IN ('random', 'postgres', 'webhook')),
  description text NOT NULL DEFAULT '',
  config jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  UNIQUE (owner, name)
);

-- A secret's rotation policy goes with the secret; a rotator in use cannot be deleted
-- (the service says which secrets use it; the foreign key is the backstop).
-- `next_due_at` is never later than the true due time: a manual new version moves the
-- anchor forward, and whoever schedules re-reads it before starting a rotation.
CREATE TABLE rotation_policies (
  secret_id bigint PRIMARY KEY REFERENCES secrets (id) ON DELETE CASCADE,
  rotator_id bigint NOT NULL REFERENCES rotators (id),
  every_ms bigint,
  cron text,
  window_ms bigint NOT NULL CHECK (window_ms > 0),
  auto boolean NOT NULL,
  targets text[] NOT NULL DEFAULT '{}',
  generator jsonb NOT NULL DEFAULT '{}',
  max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 10),
  last_rotated_at timestamptz,
  next_due_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  CHECK ((every_ms IS NULL) <> (cron IS NULL)),
  CHECK (every_ms IS NULL OR every_ms > 0)
);
CREATE INDEX rotation_policies_rotator ON rotation_policies (rotator_id);
CREATE INDEX rotation_policies_due ON rotation_policies (next_due_at) WHERE auto;
