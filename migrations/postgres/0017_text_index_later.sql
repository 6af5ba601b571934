-- The text index is built after the write (issue 15), as on SQLite since
-- its 0017: pg_trgm's index (0014) followed every row a write stored, in
-- the write's own transaction, and cost many times the write itself (a
-- first sync of 10,000 rows of 2.3 KB: 1.1 s without the index, 22 s with
-- it). A document whose content the index does not hold yet has
-- text_indexed false; sql-storage's IndexText (SDK 3.8), which the analyze
-- phase calls after the write, sets it in batches of their own, and
-- SearchText reads the content of those documents directly meanwhile.
-- 0018 swaps the index for one of the indexed documents only.
--
-- Every document there is now is indexed (0014 built the index, and
-- PostgreSQL kept it): they start indexed. A row written from now on
-- starts waiting (the writer keeps the flag of a row whose blob did not
-- change).
ALTER TABLE documents ADD COLUMN text_indexed BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE documents ALTER COLUMN text_indexed SET DEFAULT false;
