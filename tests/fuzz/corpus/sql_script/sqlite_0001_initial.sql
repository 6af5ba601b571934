-- The first schema: projects, their sync settings and cursor, runs,
-- documents and the event log. Timestamps are UTC ISO-8601 text.

-- AUTOINCREMENT where ids are handed out to people and clients (project,
-- run and event ids): SQLite would otherwise reuse the ids of deleted
-- newest rows, and a run URL or a stream's Last-Event-ID could then name a
-- different row.
CREATE TABLE projects (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT NOT NULL UNIQUE,
  tenant_id  TEXT NOT NULL DEFAULT 'default',
  created_at TEXT NOT NULL
);

-- One row per project: what to sync from where, and how far it got.
-- lease_owner/lease_expires_at keep two runs of one project apart.
CREATE TABLE project_syncs (
  project_id         INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  provider           TEXT NOT NULL,
  storage            TEXT NOT NULL,
  repo_url           TEXT NOT NULL,
  branch             TEXT NOT NULL,
  sync_enabled       INTEGER NOT NULL DEFAULT 1,
  status             TEXT NOT NULL DEFAULT 'never_synced',
  last_synced_commit TEXT,
  last_error         TEXT,
  last_synced_at     TEXT,
  lease_owner        TEXT,
  lease_expires_at   INTEGER,
  updated_at         TEXT NOT NULL
);

CREATE TABLE sync_runs (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  trigger        TEXT NOT NULL,
  started_at     TEXT NOT NULL,
  finished_at    TEXT,
  outcome        TEXT NOT NULL DEFAULT 'running',
  mode           TEXT,
  branch         TEXT,
  from_commit    TEXT,
  to_commit      TEXT,
  files_added    INTEGER NOT NULL DEFAULT 0,
  files_modified INTEGER NOT NULL DEFAULT 0,
  files_deleted  INTEGER NOT NULL DEFAULT 0,
  files_renamed  INTEGER NOT NULL DEFAULT 0,
  files_skipped  INTEGER NOT NULL DEFAULT 0,
  bytes_read     INTEGER NOT NULL DEFAULT 0,
  discover_ms    INTEGER,
  resolve_ms     INTEGER,
  diff_ms        INTEGER,
  write_ms       INTEGER,
  analyze_ms     INTEGER,
  finalize_ms    INTEGER,
  error          TEXT
);
CREATE INDEX sync_runs_by_project ON sync_runs(project_id, id);

-- Synced files. content holds text up to the configured size; binary or
-- larger files keep metadata only. embedding (and any derived column) is
-- never written by a sync except to clear it when the blob changes.
CREATE TABLE documents (
  id             INTEGER PRIMARY KEY,
  project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  path           TEXT NOT NULL,
  blob_sha       TEXT NOT NULL,
  mode           INTEGER NOT NULL,
  kind           TEXT NOT NULL,
  size           INTEGER NOT NULL,
  is_binary      INTEGER NOT NULL DEFAULT 0,
  content        TEXT,
  language       TEXT,
  embedding      BLOB,
  updated_commit TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  UNIQUE (project_id, path)
);

CREATE TABLE events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  run_id     INTEGER,
  type       TEXT NOT NULL,
  payload    TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX events_by_project ON events(project_id, id);
