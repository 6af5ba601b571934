-- Tenant isolation: row-level security keyed on the session setting
-- tether.tenant, which the engine sets on each connection (for a deployment:
-- in the database URL, ?options=-c%20tether.tenant%3Dacme).
--
-- projects carries tenant_id; everything under a project (project_syncs,
-- documents, sync_runs, events) belongs to the tenant of its project, so its
-- policy follows project_id into projects, which is itself filtered: one
-- source of truth, nothing to keep in step. A session without
-- tether.tenant sees no project and can write none.
--
-- Policies bind roles that do not own the tables. The engine connects as such
-- a role; see the README's PostgreSQL section for the roles and grants.

ALTER TABLE projects ALTER COLUMN tenant_id SET DEFAULT COALESCE(current_setting('tether.tenant', true), 'default');

ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON projects
  USING (tenant_id = current_setting('tether.tenant', true))
  WITH CHECK (tenant_id = current_setting('tether.tenant', true));

ALTER TABLE project_syncs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON project_syncs
  USING (project_id IN (SELECT id FROM projects))
  WITH CHECK (project_id IN (SELECT id FROM projects));

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents
  USING (project_id IN (SELECT id FROM projects))
  WITH CHECK (project_id IN (SELECT id FROM projects));

ALTER TABLE sync_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sync_runs
  USING (project_id IN (SELECT id FROM projects))
  WITH CHECK (project_id IN (SELECT id FROM projects));

-- Events without a project are the engine's own and visible to every tenant.
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
  USING (project_id IS NULL OR project_id IN (SELECT id FROM projects))
  WITH CHECK (project_id IS NULL OR project_id IN (SELECT id FROM projects));
