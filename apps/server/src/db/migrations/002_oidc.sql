-- OIDC federation (SPEC §4): trust policies, and tokens made by an exchange.
CREATE TABLE oidc_trust_policies (
  identity text PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  issuer text NOT NULL,
  audience text NOT NULL,
  conditions jsonb NOT NULL,
  owner_kind text NOT NULL CHECK (owner_kind IN ('team', 'org')),
  owner text REFERENCES principals (name) ON DELETE CASCADE,
  scopes jsonb NOT NULL,
  token_ttl_seconds integer NOT NULL CHECK (token_ttl_seconds BETWEEN 60 AND 3600),
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  CHECK ((owner_kind = 'org') = (owner IS NULL))
);

CREATE INDEX oidc_trust_policies_issuer ON oidc_trust_policies (issuer);

-- An exchanged token is short-lived and made by no one's hand: a kind of its own.
ALTER TABLE tokens DROP CONSTRAINT tokens_kind_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_kind_check
  CHECK (kind IN ('personal', 'shared', 'exchanged'));
