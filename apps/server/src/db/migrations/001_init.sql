-- Coffer's first schema. One org per deployment. Secret values, data keys, tokens and
-- access-key secrets are never stored in clear: values and access-key secrets are sealed
-- (envelope encryption), tokens are stored as SHA-256 hashes.

CREATE TABLE org (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Users and teams share one namespace of names.
CREATE TABLE principals (
  name text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('user', 'team')),
  org_role text CHECK ((kind = 'user') = (org_role IS NOT NULL) AND org_role IN ('admin', 'member')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text
);

CREATE TABLE team_members (
  team text NOT NULL REFERENCES principals (name) ON DELETE CASCADE,
  member text NOT NULL REFERENCES principals (name) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('admin', 'member')),
  PRIMARY KEY (team, member)
);
CREATE INDEX team_members_member ON team_members (member);

CREATE TABLE protection_keys (
  id text PRIMARY KEY,
  root_key_id text NOT NULL,
  wrapped bytea NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX protection_keys_one_default ON protection_keys (is_default) WHERE is_default;

CREATE TABLE secrets (
  id bigserial PRIMARY KEY,
  owner text NOT NULL REFERENCES principals (name),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  protection_key_id text NOT NULL REFERENCES protection_keys (id),
  status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled', 'pending_deletion')),
  deletion_date timestamptz,
  current_version integer NOT NULL,
  previous_version integer,
  pending_version integer,
  last_version integer NOT NULL,
  max_versions integer NOT NULL DEFAULT 10,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  UNIQUE (owner, name),
  CHECK ((status = 'pending_deletion') = (deletion_date IS NOT NULL))
);

CREATE TABLE secret_versions (
  secret_id bigint NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
  version integer NOT NULL,
  protection_key_id text NOT NULL REFERENCES protection_keys (id),
  wrapped_data_key bytea NOT NULL,
  ciphertext bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  PRIMARY KEY (secret_id, version)
);

CREATE TABLE grants (
  id bigserial PRIMARY KEY,
  subject text NOT NULL REFERENCES principals (name) ON DELETE CASCADE,
  resource text NOT NULL,
  level text NOT NULL CHECK (level IN ('list', 'read', 'write', 'manage')),
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  UNIQUE (subject, resource)
);
CREATE INDEX grants_resource ON grants (resource);

-- Tokens: personal (owner is a user) or shared (owner is a team, or the org when owner is null).
CREATE TABLE tokens (
  id text PRIMARY KEY,
  hash text NOT NULL UNIQUE,
  hint text NOT NULL,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('personal', 'shared')),
  owner_kind text NOT NULL CHECK (owner_kind IN ('user', 'team', 'org')),
  owner text REFERENCES principals (name) ON DELETE CASCADE,
  scopes jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  expires_at timestamptz NOT NULL,
  disabled_at timestamptz,
  expiry_event_at timestamptz,
  last_used_at timestamptz,
  CHECK ((owner_kind = 'org') = (owner IS NULL))
);

CREATE TABLE access_keys (
  id text PRIMARY KEY,
  name text NOT NULL,
  owner_kind text NOT NULL CHECK (owner_kind IN ('user', 'team', 'org')),
  owner text REFERENCES principals (name) ON DELETE CASCADE,
  scopes jsonb NOT NULL,
  protection_key_id text NOT NULL REFERENCES protection_keys (id),
  wrapped_data_key bytea NOT NULL,
  ciphertext bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  expires_at timestamptz NOT NULL,
  disabled_at timestamptz,
  CHECK ((owner_kind = 'org') = (owner IS NULL))
);

-- Signatures seen, refused again until they expire (shared by replicas).
CREATE TABLE signature_replays (
  id text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);

-- Audit events are written in the transaction of the change they record. A single chainer
-- (see audit-chain.ts) links committed events in order: chain_seq is gapless and hash is an
-- HMAC over the previous hash and the event, so an edit or a deleted event is found.
CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text,
  token_id text,
  action text NOT NULL,
  resource text,
  result text NOT NULL,
  ip text,
  request_id text,
  details jsonb NOT NULL DEFAULT '{}',
  chain_seq bigint UNIQUE,
  hash text
);
CREATE INDEX audit_events_unchained ON audit_events (id) WHERE chain_seq IS NULL;
CREATE INDEX audit_events_resource ON audit_events (resource, at);

CREATE TABLE audit_chain_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL,
  hash text NOT NULL
);

-- Events raised for people (token expiry soon, …).
CREATE TABLE notifications (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  subject text,
  resource text,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Background jobs: the last run of each, so that replicas run each once per period.
CREATE TABLE job_runs (
  job text PRIMARY KEY,
  last_run_at timestamptz NOT NULL
);
