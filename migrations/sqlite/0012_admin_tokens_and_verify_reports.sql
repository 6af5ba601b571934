-- Admin API tokens and the record of integrity checks.
--
-- An API token's scope: "tenant" (every token made before: its tenant's
-- projects) or "admin" (`tether token create --admin`: also the operator
-- routes under /api/v1/admin/, which run `tether verify` and `tether
-- backfill` on the whole database).
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'tenant' CHECK (scope IN ('tenant', 'admin'));

-- Each `tether verify` (from the CLI or POST /api/v1/admin/verify): when,
-- whether deep, its outcome and the report as JSON; the web page shows the
-- last one. The newest 100 are kept.
CREATE TABLE verify_reports (
  id          INTEGER PRIMARY KEY,
  created_at  TEXT NOT NULL,
  trigger     TEXT NOT NULL,
  deep        INTEGER NOT NULL,
  ok          INTEGER NOT NULL,
  report      TEXT NOT NULL
);
