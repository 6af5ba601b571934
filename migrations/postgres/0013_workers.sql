-- Workers on many machines against one database (issue: scale-out).
--
-- A project's run lease gets an epoch, raised by every run that takes the
-- lease: the storage is told the epoch of a run that took over a lease it
-- did not see released (storage_fences below), and refuses to commit a
-- write made under an older one, so that a worker paused or cut off in the
-- middle of a write can never commit after its project was taken over.
-- lease_worker names the worker process that holds it (workers.id).
ALTER TABLE project_syncs ADD COLUMN lease_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE project_syncs ADD COLUMN lease_worker TEXT;
-- A sync asked for (by a person, the API or a webhook) that no run has
-- taken yet: when (unix milliseconds: the oldest request goes first) and
-- with which trigger. Any worker claims it; requests go before schedules.
ALTER TABLE project_syncs ADD COLUMN sync_requested_at BIGINT;
ALTER TABLE project_syncs ADD COLUMN sync_requested_trigger TEXT;
CREATE INDEX project_syncs_by_request ON project_syncs(sync_requested_at) WHERE sync_requested_at IS NOT NULL;
-- Which worker process ran each run.
ALTER TABLE sync_runs ADD COLUMN worker TEXT;

-- The processes that run syncs (`tether worker`, `tether serve`), with
-- their last heartbeat (unix seconds) and what they counted so far (with
-- each heartbeat): runs finished, leases taken over from a worker that
-- stopped renewing them, and runs of theirs that lost their lease (their
-- commit, if they got that far, was refused by the fence). Not per tenant: only the operator
-- (admin tokens) reads it, like verify_reports.
CREATE TABLE workers (
  id            TEXT PRIMARY KEY,
  host          TEXT NOT NULL,
  pid           BIGINT NOT NULL,
  version       TEXT NOT NULL,
  kind          TEXT NOT NULL,
  concurrency   INTEGER NOT NULL,
  started_at    BIGINT NOT NULL,
  heartbeat_at  BIGINT NOT NULL,
  stopped_at    BIGINT,
  runs          BIGINT NOT NULL DEFAULT 0,
  takeovers     BIGINT NOT NULL DEFAULT 0,
  fenced        BIGINT NOT NULL DEFAULT 0
);

-- sql-storage's fence per project: the newest lease epoch it was told of.
-- A write made under an older epoch is refused at its commit. A table of
-- its own, apart from storage_cursors (which a write locks for its whole
-- transaction), so that raising the fence never waits for a stalled writer.
CREATE TABLE storage_fences (
  project_id BIGINT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  epoch      BIGINT NOT NULL
);
ALTER TABLE storage_fences ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON storage_fences
  USING (project_id IN (SELECT id FROM projects))
  WITH CHECK (project_id IN (SELECT id FROM projects));
