-- Analysis results (phase 2): what an analyzer computed from one blob,
-- keyed by content -- the blob and its language -- and by the analyzer's
-- key (id, version, settings hash), never by path or project, so that every
-- project of a tenant reuses it. The sql-storage plugin owns both tables.
--
-- state: 'running' (an attempt began: marked_by says who, unfinished how
-- many attempts never finished), 'analyzed', 'failed' (reason; retried when
-- retry = 1), 'skipped' (reason names the rule), 'poison' (never again).
-- unused_since: when garbage collection first saw no document needing the
-- result; it is removed a grace period later, kept again when needed first.
CREATE TABLE analysis_results (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id        TEXT NOT NULL,
  blob_sha         TEXT NOT NULL,
  language         TEXT NOT NULL,
  analyzer         TEXT NOT NULL,
  analyzer_version TEXT NOT NULL,
  settings_hash    TEXT NOT NULL,
  state            TEXT NOT NULL,
  reason           TEXT,
  retry            INTEGER NOT NULL DEFAULT 0,
  failures         INTEGER NOT NULL DEFAULT 0,
  unfinished       INTEGER NOT NULL DEFAULT 0,
  marked_by        TEXT,
  data             TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  unused_since     TEXT,
  UNIQUE (tenant_id, blob_sha, language, analyzer, analyzer_version, settings_hash)
);

-- The symbols of an analyzed result, in the analyzer's order. name_lower
-- and tokens (its lower-case sub-tokens between spaces: " jv parse sized ")
-- serve search.
CREATE TABLE analysis_symbols (
  result_id  INTEGER NOT NULL REFERENCES analysis_results(id) ON DELETE CASCADE,
  ordinal    INTEGER NOT NULL,
  tenant_id  TEXT NOT NULL,
  name       TEXT NOT NULL,
  name_lower TEXT NOT NULL,
  tokens     TEXT NOT NULL,
  kind       TEXT NOT NULL,
  start_line INTEGER NOT NULL,
  end_line   INTEGER NOT NULL,
  signature  TEXT,
  parent     TEXT,
  doc        TEXT,
  PRIMARY KEY (result_id, ordinal)
);
CREATE INDEX analysis_symbols_by_name ON analysis_symbols(tenant_id, name_lower);

-- Finding a project's documents by blob (the work still to do, search),
-- covering what the work list filters on, so that a project with nothing
-- to analyse is answered from the index without reading its documents.
CREATE INDEX documents_by_blob ON documents(project_id, blob_sha, language, kind);

-- What the analyze phase did, per analyzer, as JSON:
-- {"code": {"analyzed": N, "reused": N, "failed": N, "skipped": N}}.
ALTER TABLE sync_runs ADD COLUMN analysis TEXT;
