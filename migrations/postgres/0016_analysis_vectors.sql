-- Vectors of texts (storage.h, "Vectors", SDK 3.5): what an embedder made
-- of one chunk of a file, keyed by content -- the space (a model and its
-- dimensions) and the SHA-256 of the text -- never by path or project, so
-- that a rename, a branch switched back or a second project of the tenant
-- embeds nothing again. A vector is written once and never changed. The
-- sql-storage plugin owns the table; its vectors are protected
-- (migrations/protected.json), like documents.embedding.
--
-- vector: the values as IEEE-754 float32, little-endian, `dimensions` of
-- them, in base64 (text on both databases: SOCI binds text alike on both).
CREATE TABLE analysis_vectors (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   TEXT NOT NULL,
  space       TEXT NOT NULL,
  text_sha    TEXT NOT NULL,
  dimensions  INTEGER NOT NULL,
  vector      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  UNIQUE (tenant_id, space, text_sha)
);

ALTER TABLE analysis_vectors ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON analysis_vectors
  USING (tenant_id = current_setting('tether.tenant', true))
  WITH CHECK (tenant_id = current_setting('tether.tenant', true));
