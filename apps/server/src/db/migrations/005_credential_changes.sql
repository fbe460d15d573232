-- Servers keep the credentials they authenticated in memory (auth/credential-cache.ts). Any
-- committed change that could take a right away (a token disabled or deleted; a principal,
-- membership or grant changed) notifies every replica on the schema's credentials
-- channel, whoever made it: the server, the break-glass script, or SQL typed by hand. The
-- channel is named as channelFor(schema, "coffer_credentials") names it.
CREATE FUNCTION coffer_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(left('coffer_credentials' || CASE WHEN TG_TABLE_SCHEMA = 'public' THEN ''
    ELSE '_' || regexp_replace(lower(TG_TABLE_SCHEMA), '[^a-z0-9_]', '_', 'g') END, 63), '');
  RETURN NULL;
END
$$;

-- A new token takes nothing away (unknown tokens are never cached). Access keys are read at
-- every signed request, not cached.
CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE OR TRUNCATE ON tokens
  FOR EACH STATEMENT EXECUTE FUNCTION coffer_credentials_changed();

CREATE TRIGGER principals_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON principals
  FOR EACH STATEMENT EXECUTE FUNCTION coffer_credentials_changed();

CREATE TRIGGER team_members_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON team_members
  FOR EACH STATEMENT EXECUTE FUNCTION coffer_credentials_changed();

CREATE TRIGGER grants_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grants
  FOR EACH STATEMENT EXECUTE FUNCTION coffer_credentials_changed();
