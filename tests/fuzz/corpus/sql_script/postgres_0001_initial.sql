-- The first schema: projects, their sync settings and cursor, runs,
-- documents and the event log. Timestamps are UTC ISO-8601 text.

CREATE TABLE projects (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  tenant_id  TEXT NOT NULL DEFAULT 'default',
  created_at TEXT NOT NULL
);

-- One row per project: what to sync from where, and how far it got.
-- lease_owner/lease_expires_at keep two runs of one project apart.
CREATE TABLE project_syncs (
  project_id         BIGINT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  provider           TEXT NOT NULL,
  storage            TEXT NOT NULL,
  repo_url           TEXT NOT NULL,
  branch             TEXT NOT NULL,
  sync_enabled       SMALLINT NOT NULL DEFAULT 1,
  status             TEXT NOT NULL DEFAULT 'never_synced',
  last_synced_commit TEXT,
  last_error         TEXT,
  last_synced_at     TEXT,
  lease_owner        TEXT,
  lease_expires_at   BIGINT,
  updated_at         TEXT NOT NULL
);

CREATE TABLE sync_runs (
  id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id     BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  trigger        TEXT NOT NULL,
  started_at     TEXT NOT NULL,
  finished_at    TEXT,
  outcome        TEXT NOT NULL DEFAULT 'running',
  mode           TEXT,
  branch         TEXT,
  from_commit    TEXT,
  to_commit      TEXT,
  files_added    BIGINT NOT NULL DEFAULT 0,
  files_modified BIGINT NOT NULL DEFAULT 0,
  files_deleted  BIGINT NOT NULL DEFAULT 0,
  files_renamed  BIGINT NOT NULL DEFAULT 0,
  files_skipped  BIGINT NOT NULL DEFAULT 0,
  bytes_read     BIGINT NOT NULL DEFAULT 0,
  discover_ms    BIGINT,
  resolve_ms     BIGINT,
  diff_ms        BIGINT,
  write_ms       BIGINT,
  analyze_ms     BIGINT,
  finalize_ms    BIGINT,
  error          TEXT
);
CREATE INDEX sync_runs_by_project ON sync_runs(project_id, id);

-- Synced files. content holds text up to the configured size; binary or
-- larger files keep metadata only. embedding (and any derived column) is
-- never written by a sync except to clear it when the blob changes.
CREATE TABLE documents (
  id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id     BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  path           TEXT NOT NULL,
  blob_sha       TEXT NOT NULL,
  mode           BIGINT NOT NULL,
  kind           TEXT NOT NULL,
  size           BIGINT NOT NULL,
  is_binary      SMALLINT NOT NULL DEFAULT 0,
  content        TEXT COMPRESSION lz4,  -- lz4: far cheaper than pglz on source text
  language       TEXT,
  embedding      BYTEA,
  updated_commit TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  UNIQUE (project_id, path)
);

CREATE TABLE events (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id BIGINT REFERENCES projects(id) ON DELETE CASCADE,
  run_id     BIGINT,
  type       TEXT NOT NULL,
  payload    TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX events_by_project ON events(project_id, id);
