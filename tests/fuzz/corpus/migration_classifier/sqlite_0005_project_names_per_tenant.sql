-- Project names are unique within a tenant, not across tenants: two tenants
-- may each have a project "web", and creating one never tells a tenant that
-- another tenant has a project of that name.
--
-- SQLite cannot drop a column's UNIQUE constraint, so the table is rebuilt
-- with every row and id. The migrator runs the file with foreign keys not
-- enforced (dropping the old table deletes nothing under it) and refuses it
-- if any reference is left dangling; the AUTOINCREMENT high-water mark is
-- carried over, so that the id of a deleted project is never handed out
-- again.
-- tether:allow table-rebuild projects
CREATE TABLE projects_new (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT NOT NULL,
  tenant_id  TEXT NOT NULL DEFAULT 'default',
  created_at TEXT NOT NULL,
  UNIQUE (tenant_id, name)
);
INSERT INTO projects_new (id, name, tenant_id, created_at)
  SELECT id, name, tenant_id, created_at FROM projects;
DELETE FROM sqlite_sequence WHERE name = 'projects_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'projects_new', seq FROM sqlite_sequence WHERE name = 'projects';
DROP TABLE projects;
ALTER TABLE projects_new RENAME TO projects;
