-- Secret names sort by byte (COLLATE "C") on every engine and every database locale: listings
-- come in the same order everywhere, and a name prefix is one index range
-- [prefix, prefix || '~') (SPEC §2: names hold [A-Za-z0-9_-], all below '~'). Rebuilds the
-- (owner, name) index.
ALTER TABLE secrets ALTER COLUMN name TYPE text COLLATE "C";
