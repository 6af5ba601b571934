-- A sync asked for while its project is being synced (a webhook push during
-- a run) is not lost: it sets resync_requested, and the run that holds the
-- lease runs the project once more when it ends. Ten pushes during one run
-- make one follow-up run. A run that claims the project clears the request:
-- it syncs to the branch head as it is then.
ALTER TABLE project_syncs ADD COLUMN resync_requested SMALLINT NOT NULL DEFAULT 0;
