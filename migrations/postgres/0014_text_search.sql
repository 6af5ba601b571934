-- Text search over synced content (issue 17): sql-storage's index of every
-- document's content by its 3-character sequences (pg_trgm's GIN operator
-- class), so that a substring search (LIKE, ILIKE) reads only the rows that
-- hold every trigram of the query instead of every row. The index is built
-- here for the documents there are, and kept by PostgreSQL from then on.
-- It indexes the rows of documents, whose row-level security (the tenant's
-- projects only) applies to every search as to every other read.
--
-- pg_trgm ships with PostgreSQL (Debian's postgresql-15 package); it is a
-- trusted extension, so a role with CREATE on the database may create it.
-- Otherwise a superuser runs `CREATE EXTENSION pg_trgm;` in the database
-- before `tether migrate apply` (README, "Searching").
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX documents_content_trgm ON documents USING gin (content gin_trgm_ops);
