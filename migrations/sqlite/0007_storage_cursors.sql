-- The cursor (the last synced commit of a project) belongs to the storage:
-- it must commit in the same transaction as the documents it describes, so
-- the storage writes it, and only the storage. It moves out of the engine's
-- project_syncs row into a table of the sql-storage plugin, next to
-- documents. Every cursor is copied; the old column is then dropped (its
-- loss is acknowledged here and checked against the copy by the tests).
CREATE TABLE storage_cursors (
  project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  commit_id  TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
INSERT INTO storage_cursors (project_id, commit_id, updated_at)
  SELECT project_id, last_synced_commit, updated_at FROM project_syncs WHERE last_synced_commit IS NOT NULL;
-- tether:allow drop-column project_syncs.last_synced_commit
-- tether:allow protected-change project_syncs.last_synced_commit
ALTER TABLE project_syncs DROP COLUMN last_synced_commit;
