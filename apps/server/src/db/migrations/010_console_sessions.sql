-- Web console sessions (SPEC §13). A session is opened with a personal token and acts as that
-- token (its scopes, its expiry, its user's rights now): disabling or deleting the token, or
-- disabling the user, ends it. The cookie's text is never stored, only its SHA-256 hash; `id`
-- names a session in the audit log and in "sign out everywhere" without being usable.
CREATE TABLE console_sessions (
  id text PRIMARY KEY,
  hash text NOT NULL UNIQUE,
  token_id text NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
  user_name text NOT NULL REFERENCES principals (name) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  -- The absolute end (12 h after opening); the idle end is last_seen_at + the idle timeout.
  expires_at timestamptz NOT NULL,
  ended_at timestamptz
);

CREATE INDEX console_sessions_user ON console_sessions (user_name) WHERE ended_at IS NULL;
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
