-- The workers' queue: see migrations/postgres/0015_work_queue_indexes.sql.
-- SQLite cannot make an added column NOT NULL; ProjectStore always writes it.
ALTER TABLE project_syncs ADD COLUMN tenant_id TEXT;
UPDATE project_syncs SET tenant_id = (SELECT p.tenant_id FROM projects p WHERE p.id = project_syncs.project_id)
  WHERE tenant_id IS NULL;
CREATE INDEX project_syncs_by_tenant ON project_syncs(tenant_id);
CREATE INDEX project_syncs_leased ON project_syncs(tenant_id) WHERE lease_owner IS NOT NULL;
CREATE INDEX project_syncs_requests ON project_syncs(tenant_id, sync_requested_at, project_id)
  WHERE sync_requested_at IS NOT NULL;
CREATE INDEX project_syncs_stranded ON project_syncs(tenant_id, project_id)
  WHERE resync_requested <> 0 OR status = 'running';
CREATE INDEX project_syncs_scheduled ON project_syncs(tenant_id, next_sync_at, project_id)
  WHERE sync_enabled = 1 AND schedule IS NOT NULL AND schedule <> 'off';
CREATE INDEX project_syncs_default_scheduled ON project_syncs(tenant_id, next_sync_at, project_id)
  WHERE sync_enabled = 1 AND schedule IS NULL;
DROP INDEX project_syncs_by_request;
CREATE INDEX sync_runs_unfinished ON sync_runs(project_id) WHERE outcome = 'running';
