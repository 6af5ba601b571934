-- Schedules: syncs that run themselves. Per project, what the operator
-- chose (NULL: the config's default; 'off'; 'adaptive'; or '<N>s', every N
-- seconds), when its next scheduled sync is due (unix seconds; NULL: as
-- soon as a scheduler sees it) and when a run last found its branch moved
-- (unix seconds; what an adaptive schedule follows).
ALTER TABLE project_syncs ADD COLUMN schedule TEXT;
ALTER TABLE project_syncs ADD COLUMN next_sync_at BIGINT;
ALTER TABLE project_syncs ADD COLUMN head_changed_at BIGINT;
CREATE INDEX project_syncs_by_next_sync ON project_syncs(next_sync_at);
