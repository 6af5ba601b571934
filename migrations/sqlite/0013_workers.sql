-- Workers and fenced leases: see migrations/postgres/0013_workers.sql. On
-- SQLite every process runs on one machine, but the same tables keep the
-- schemas alike.
ALTER TABLE project_syncs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE project_syncs ADD COLUMN lease_worker TEXT;
ALTER TABLE project_syncs ADD COLUMN sync_requested_at INTEGER;
ALTER TABLE project_syncs ADD COLUMN sync_requested_trigger TEXT;
CREATE INDEX project_syncs_by_request ON project_syncs(sync_requested_at) WHERE sync_requested_at IS NOT NULL;
ALTER TABLE sync_runs ADD COLUMN worker TEXT;

CREATE TABLE workers (
  id            TEXT PRIMARY KEY,
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  version       TEXT NOT NULL,
  kind          TEXT NOT NULL,
  concurrency   INTEGER NOT NULL,
  started_at    INTEGER NOT NULL,
  heartbeat_at  INTEGER NOT NULL,
  stopped_at    INTEGER,
  runs          INTEGER NOT NULL DEFAULT 0,
  takeovers     INTEGER NOT NULL DEFAULT 0,
  fenced        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE storage_fences (
  project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  epoch      INTEGER NOT NULL
);
