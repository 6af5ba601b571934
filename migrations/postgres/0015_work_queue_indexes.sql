-- The workers' queue found from indexes (issue 13: scale-out). A claim
-- (ProjectStore::LockWork) takes each tenant's first waiting projects from
-- the indexes below, one look per tenant, instead of ordering every
-- waiting project: a project's tenant is kept beside its queue columns
-- (it never changes; ProjectStore::Add writes both rows).
ALTER TABLE project_syncs ADD COLUMN tenant_id TEXT;
UPDATE project_syncs SET tenant_id = (SELECT p.tenant_id FROM projects p WHERE p.id = project_syncs.project_id)
  WHERE tenant_id IS NULL;
ALTER TABLE project_syncs ALTER COLUMN tenant_id SET NOT NULL;
-- The tenants (a skip scan over it lists them), and the live leases per tenant.
CREATE INDEX project_syncs_by_tenant ON project_syncs(tenant_id);
CREATE INDEX project_syncs_leased ON project_syncs(tenant_id) WHERE lease_owner IS NOT NULL;
-- Requests, oldest first; a resync request or a run left running by a dead
-- worker; schedules (a NULL next_sync_at is due at once).
CREATE INDEX project_syncs_requests ON project_syncs(tenant_id, sync_requested_at, project_id)
  WHERE sync_requested_at IS NOT NULL;
CREATE INDEX project_syncs_stranded ON project_syncs(tenant_id, project_id)
  WHERE resync_requested <> 0 OR status = 'running';
CREATE INDEX project_syncs_scheduled ON project_syncs(tenant_id, next_sync_at, project_id)
  WHERE sync_enabled = 1 AND schedule IS NOT NULL AND schedule <> 'off';
CREATE INDEX project_syncs_default_scheduled ON project_syncs(tenant_id, next_sync_at, project_id)
  WHERE sync_enabled = 1 AND schedule IS NULL;
DROP INDEX project_syncs_by_request;
-- Runs still recorded running (a claim closes those of a dead process first).
CREATE INDEX sync_runs_unfinished ON sync_runs(project_id) WHERE outcome = 'running';
