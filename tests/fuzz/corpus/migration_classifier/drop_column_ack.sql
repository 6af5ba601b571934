-- tether:allow drop-column documents.legacy_col
ALTER TABLE documents DROP COLUMN legacy_col;
-- tether:allow truncate public.events
TRUNCATE TABLE public.events CASCADE;
UPDATE documents SET embedding = NULL;
DELETE FROM runs;
ALTER TABLE "Documents" RENAME COLUMN a TO b;
ALTER TABLE documents ALTER COLUMN size SET DATA TYPE bigint;
ALTER TABLE documents ADD COLUMN owner text NOT NULL;
-- tether:allow nonsense x
-- tether:no-transaction
-- tether:frobnicate
CREATE INDEX CONCURRENTLY idx_docs_path ON documents (path);
CREATE INDEX idx_docs_sha ON documents (sha);
DROP SCHEMA s; DROP DATABASE d; DROP EXTENSION e; DROP TYPE t;
