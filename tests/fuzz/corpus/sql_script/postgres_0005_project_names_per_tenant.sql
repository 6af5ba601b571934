-- Project names are unique within a tenant, not across tenants: two tenants
-- may each have a project "web", and creating one never tells a tenant that
-- another tenant has a project of that name.
ALTER TABLE projects DROP CONSTRAINT projects_name_key;
ALTER TABLE projects ADD CONSTRAINT projects_tenant_id_name_key UNIQUE (tenant_id, name);
