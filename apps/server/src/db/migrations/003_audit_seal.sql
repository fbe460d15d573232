-- Audit seals (see audit/audit-seal.ts): the server seals each event when it writes it, an HMAC
-- over what the row says and a random event id, so an event inserted or edited with SQL alone
-- is found and never linked; the chain head carries a MAC. A sealed event's link covers its
-- event id and seal too (audit/audit-chain.ts), so a seal set to NULL breaks the link.
-- Events linked before this migration have no seal: verify accepts them as a prefix of the
-- chain (their links still hold), never after a sealed one; a head without a MAC is accepted
-- only while it ends that prefix. Events written but not linked by the old server are linked
-- under the old formula while no sealed event exists (the first start after this migration).
ALTER TABLE audit_events ADD COLUMN event_id text;
ALTER TABLE audit_events ADD COLUMN seal text;
CREATE UNIQUE INDEX audit_events_event_id ON audit_events (event_id);
ALTER TABLE audit_chain_head ADD COLUMN mac text;
-- The chainer reads only rows it has not refused: a refused row keeps chain_seq NULL and gets
-- hash 'refused', so junk inserted with SQL is read once, never again.
DROP INDEX audit_events_unchained;
CREATE INDEX audit_events_unchained ON audit_events (id) WHERE chain_seq IS NULL AND hash IS NULL;
-- The protection key the audit keys derive from, pinned by id (an org set up before this
-- migration: its oldest key, the one bootstrap created).
ALTER TABLE org ADD COLUMN audit_key_id text REFERENCES protection_keys (id);
UPDATE org SET audit_key_id = (SELECT id FROM protection_keys ORDER BY created_at, id LIMIT 1);
