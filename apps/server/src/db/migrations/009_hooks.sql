-- Hooks and automations (SPEC §12). No value is stored here: a hook holds templates
-- (`${ml/openai_key}`), names the secret holding its signing key, and a delivery keeps the
-- templates it sent and the secret versions it rendered, never a rendered value.

-- A hook belongs to a user or a team, as a secret does. `secret_refs`: the secrets its
-- templates name, as OWNER/NAME (a short `${NAME}` is the hook owner's), kept for `usedBy`.
-- `allow_secrets`: the patterns of the secrets it may render, cleared when its origin changes.
-- `failing_since`: the first failed attempt since the last success (72 h of it disables).
CREATE TABLE hooks (
  id bigserial PRIMARY KEY,
  owner text NOT NULL REFERENCES principals (name),
  name text COLLATE "C" NOT NULL,
  description text NOT NULL DEFAULT '',
  url text NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}',
  body text,
  allow_secrets text[] NOT NULL DEFAULT '{}',
  secret_refs text[] NOT NULL DEFAULT '{}',
  signing_secret text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  disabled_reason text CHECK (disabled_reason IN ('gone', 'failing', 'manual')),
  disabled_at timestamptz,
  failing_since timestamptz,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  UNIQUE (owner, name),
  CHECK (enabled = (disabled_at IS NULL))
);
CREATE INDEX hooks_secret_refs ON hooks USING gin (secret_refs);
CREATE INDEX hooks_signing_secret ON hooks (signing_secret);

-- An automation: event types + a resource pattern → a hook of the same owner's.
-- `after_seq`: the outbox's position when it was made; it hears only events raised after it
-- (an event still waiting in the outbox when the automation is made is not its to hear).
CREATE TABLE automations (
  id bigserial PRIMARY KEY,
  owner text NOT NULL REFERENCES principals (name),
  name text COLLATE "C" NOT NULL,
  description text NOT NULL DEFAULT '',
  events text[] NOT NULL,
  match text NOT NULL,
  hook_id bigint NOT NULL REFERENCES hooks (id),
  after_seq bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  UNIQUE (owner, name)
);
CREATE INDEX automations_hook ON automations (hook_id);
CREATE INDEX automations_events ON automations USING gin (events);

-- The transactional outbox: one row per event, written in the transaction of the change
-- (a secret change as the change feed announces it, or an event of its own: token expiry,
-- audit verification, a hook disabled). The dispatcher takes rows out, matches automations
-- and writes the deliveries, in one transaction: a crash on either side loses nothing.
CREATE TABLE hook_outbox (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  payload jsonb NOT NULL
);

-- Events that some automation matched (the others are dropped by the dispatcher).
CREATE TABLE hook_events (
  id text PRIMARY KEY,
  type text NOT NULL,
  resource text,
  data jsonb NOT NULL,
  at timestamptz NOT NULL
);

-- One delivery of one event to one hook; `message_id` is the `webhook-id` of each attempt
-- (a redelivery keeps it). Claimed with a lease, as rotation jobs are.
CREATE TABLE hook_deliveries (
  id text PRIMARY KEY,
  hook_id bigint NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
  event_id text NOT NULL REFERENCES hook_events (id),
  message_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  lease_owner text,
  lease_until timestamptz,
  request jsonb,
  secrets_used jsonb NOT NULL DEFAULT '[]',
  redelivery_of text,
  created_at timestamptz NOT NULL,
  ended_at timestamptz,
  CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX hook_deliveries_due ON hook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX hook_deliveries_hook ON hook_deliveries (hook_id, created_at DESC, id DESC);
CREATE INDEX hook_deliveries_event ON hook_deliveries (event_id);

CREATE TABLE hook_delivery_attempts (
  delivery_id text NOT NULL REFERENCES hook_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  status integer,
  error text,
  response_headers jsonb NOT NULL DEFAULT '{}',
  response_body text,
  PRIMARY KEY (delivery_id, attempt)
);

-- Token expiry notices are `token.expiring` events now (SPEC §12); nothing read this table.
DROP TABLE notifications;
