-- Repository outputs (phase 2, SDK 3.3): what an analyzer's repository
-- step made for one project (documentation pages, the state it keeps for
-- its next run), and the files it made them from, so that its next run is
-- given only what changed since. The sql-storage plugin owns all three
-- tables; they belong to the project and go with it.

-- One output: its name, the step's own key for it, its text.
CREATE TABLE analysis_outputs (
  tenant_id   TEXT NOT NULL,
  project_id  BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  analyzer    TEXT NOT NULL,
  name        TEXT NOT NULL,
  output_key  TEXT NOT NULL,
  content     TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (project_id, analyzer, name)
);

-- The key a step last completed under, per project.
CREATE TABLE analysis_steps (
  tenant_id        TEXT NOT NULL,
  project_id       BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  analyzer         TEXT NOT NULL,
  analyzer_version TEXT NOT NULL,
  settings_hash    TEXT NOT NULL,
  completed_at     TEXT NOT NULL,
  PRIMARY KEY (project_id, analyzer)
);

-- The files (path, blob, language) a step last completed on.
CREATE TABLE analysis_step_files (
  tenant_id   TEXT NOT NULL,
  project_id  BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  analyzer    TEXT NOT NULL,
  path        TEXT NOT NULL,
  blob_sha    TEXT NOT NULL,
  language    TEXT NOT NULL,
  PRIMARY KEY (project_id, analyzer, path)
);

-- A tenant sees its own projects' outputs only.
ALTER TABLE analysis_outputs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON analysis_outputs
  USING (tenant_id = current_setting('tether.tenant', true))
  WITH CHECK (tenant_id = current_setting('tether.tenant', true));
ALTER TABLE analysis_steps ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON analysis_steps
  USING (tenant_id = current_setting('tether.tenant', true))
  WITH CHECK (tenant_id = current_setting('tether.tenant', true));
ALTER TABLE analysis_step_files ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON analysis_step_files
  USING (tenant_id = current_setting('tether.tenant', true))
  WITH CHECK (tenant_id = current_setting('tether.tenant', true));
