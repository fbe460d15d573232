-- Audit seals (see audit/audit-seal.ts): the server seals each event when it writes it, an HMAC
-- over what the row says and a random event id, so an event inserted or edited with SQL alone
-- is found and never linked; the chain head carries a MAC. Events linked before this migration
-- have no seal: verify accepts them as a prefix of the chain (their links still hold), never
-- after a sealed one; a head without a MAC is accepted only while it still ends that prefix.
ALTER TABLE audit_events ADD COLUMN event_id text;
ALTER TABLE audit_events ADD COLUMN seal text;
CREATE UNIQUE INDEX audit_events_event_id ON audit_events (event_id);
ALTER TABLE audit_chain_head ADD COLUMN mac text;
