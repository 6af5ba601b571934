-- tether:no-transaction
-- The trigram index of 0014 replaced by one of the documents IndexText has
-- indexed (text_indexed, 0017), so that a write no longer feeds it; and a
-- small index of those it has not, which IndexText and SearchText read a
-- project's from. Built CONCURRENTLY: syncs go on writing meanwhile. Until
-- the old index is dropped, at the end, searches use it.
--
-- If a build stops half-way, PostgreSQL leaves its index INVALID: drop it
-- (DROP INDEX CONCURRENTLY documents_content_trgm_indexed, or
-- documents_text_unindexed) and apply again.
CREATE INDEX CONCURRENTLY documents_content_trgm_indexed ON documents USING gin (content gin_trgm_ops)
  WHERE text_indexed;
CREATE INDEX CONCURRENTLY documents_text_unindexed ON documents (project_id, path)
  WHERE NOT text_indexed AND content IS NOT NULL;
DROP INDEX CONCURRENTLY documents_content_trgm;
