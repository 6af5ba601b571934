-- Vectors of texts: see migrations/postgres/0016_analysis_vectors.sql.
CREATE TABLE analysis_vectors (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id   TEXT NOT NULL,
  space       TEXT NOT NULL,
  text_sha    TEXT NOT NULL,
  dimensions  INTEGER NOT NULL,
  vector      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  UNIQUE (tenant_id, space, text_sha)
);
