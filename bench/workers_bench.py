#!/usr/bin/env python3
"""Tether workers benchmark: 1,000 small projects on PostgreSQL, with 1, 2 and 4 worker processes.

Issue 13, section 5. For each number of `tether worker` processes (each
--concurrency 2, each its own --host-id, as separate machines would be), on
a fresh database of a throwaway PostgreSQL cluster this script starts and
stops itself:

  (a) first syncs of all --projects projects: syncs per second, wall time;
  (b) passes over the unchanged projects (every project requested once):
      wall time, database statements per project (pg_stat_statements, by
      the workers' role), the target: under 10 s for 1,000 local projects;
  (c) scheduling lag: every project's schedule set to --every (60 s); after
      the first round (a new schedule is due at once) every project comes due
      again, spread by the schedule's jitter; the lag is each run's
      started_at less the next_sync_at it was due at, p50 / p99 / max.

Syncs are requested through the API of a `tether serve --workers 0` (POST
/api/v1/projects/NAME/sync with a token); projects are added through the same
API (POST /api/v1/projects), a few through `tether project add` to time the
CLI. Baselines: `git rev-parse main` over every repository as processes,
and `tether sync --all -j 4` (one-shot, workers stopped) for the same pass.

The repositories are written directly as loose git objects by this script
(4 files, 3 trees, 1 commit each; the same ids every time): `git init` plus
`git fast-import` per repository took 70-150 ms each on the loaded
development machine, these take about 5 ms.

Python 3.11 standard library, git, psql and Debian's PostgreSQL server
(pg_stat_statements from its contrib, shipped in the same package). A
report, not a test: exit 0 when the figures were printed (even with MISS
lines), 1 when something could not run, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_bench import BenchError, run_measured  # noqa: E402  (same folder)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TETHER = REPO_ROOT / "build" / "bin" / "tether"
PG_CLUSTER = REPO_ROOT / "tests" / "support" / "pg_cluster.sh"

TARGET_PASS_S = 10.0            # a pass over 1,000 unchanged local projects
WORKER_ROLE, API_ROLE, CLI_ROLE = "bench_worker", "bench_api", "bench_cli"


def log(msg: str) -> None:
    if not QUIET:
        print(msg, file=sys.stderr, flush=True)


QUIET = False


# --------------------------------------------------------------------------
# Repositories: loose objects written directly, deterministic
# --------------------------------------------------------------------------

def _write_object(gitdir: str, kind: bytes, body: bytes) -> str:
    data = b"%s %d\0" % (kind, len(body)) + body
    sha = hashlib.sha1(data).hexdigest()
    folder = os.path.join(gitdir, "objects", sha[:2])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, sha[2:]), "wb") as f:
        f.write(zlib.compress(data, 1))
    return sha


def _write_tree(gitdir: str, entries: list[tuple[str, str, str]]) -> str:
    # git orders a tree's entries by name, a folder's as if it ended in "/".
    entries = sorted(entries, key=lambda e: e[1] + ("/" if e[0] == "40000" else ""))
    body = b"".join(b"%s %s\0" % (mode.encode(), name.encode()) + bytes.fromhex(sha)
                    for mode, name, sha in entries)
    return _write_object(gitdir, b"tree", body)


def build_repo(path: Path, i: int) -> str:
    """A bare repository with one commit on main: README.md, src/main.c, src/util.py, docs/guide.md."""
    d = str(path)
    for sub in ("objects/pack", "objects/info", "refs/heads", "refs/tags"):
        os.makedirs(os.path.join(d, sub))
    with open(os.path.join(d, "HEAD"), "w") as f:
        f.write("ref: refs/heads/main\n")
    with open(os.path.join(d, "config"), "w") as f:
        f.write("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n")

    def blob(text: str) -> str:
        return _write_object(d, b"blob", text.encode())

    src = _write_tree(d, [("100644", "main.c", blob(f"int main(void) {{ return {i % 7}; }}\n")),
                          ("100644", "util.py", blob(f"def scale(x):\n    return x * {i}\n"))])
    docs = _write_tree(d, [("100644", "guide.md", blob("## Guide\n\n" + "word " * (50 + i % 50) + "\n"))])
    top = _write_tree(d, [("100644", "README.md", blob(f"# project {i}\n\nA small project.\n")),
                          ("40000", "src", src), ("40000", "docs", docs)])
    who = "Bench <bench@example.invalid> 1700000000 +0000"
    commit = _write_object(d, b"commit", f"tree {top}\nauthor {who}\ncommitter {who}\n\nproject {i}\n".encode())
    with open(os.path.join(d, "refs", "heads", "main"), "w") as f:
        f.write(commit + "\n")
    return commit


# --------------------------------------------------------------------------
# PostgreSQL: the cluster, and one psql session kept open for the bench's reads
# --------------------------------------------------------------------------

class Psql:
    """One psql process fed queries on stdin; each answer ends at a marker line."""

    MARK = "__bench_end__"

    def __init__(self, url: str):
        self.proc = subprocess.Popen(["psql", url, "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=0", "-q"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)

    def rows(self, sql: str) -> list[list[str]]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo " + self.MARK + "\n")
        self.proc.stdin.flush()
        out = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise BenchError(f"psql ended while answering: {sql[:200]}")
            line = line.rstrip("\n")
            if line == self.MARK:
                break
            if line.startswith(("ERROR:", "FATAL:", "psql:")):
                raise BenchError(f"psql: {line} (for: {sql[:200]})")
            out.append(line.split("\t"))
        return out

    def value(self, sql: str) -> str:
        r = self.rows(sql)
        return r[0][0] if r and r[0] else ""

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)


class Cluster:
    def __init__(self, durable: bool):
        self.dir = Path(tempfile.mkdtemp(prefix="tether-workers-pg-"))
        env = dict(os.environ, PG_CLUSTER_DURABLE="1" if durable else "0",
                   PG_CLUSTER_OPTIONS="-c shared_preload_libraries=pg_stat_statements "
                                      "-c pg_stat_statements.track_utility=on -c max_connections=300")
        proc = subprocess.run(["bash", str(PG_CLUSTER), "start", str(self.dir)], env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise BenchError(f"cannot start PostgreSQL: {proc.stderr.strip()[:2000]}")
        self.admin_url = (self.dir / "url").read_text().strip()
        admin = Psql(self.admin_url)
        try:
            for role in (WORKER_ROLE, API_ROLE, CLI_ROLE):
                # Superusers, as the tests' tether_admin: no row-level security in the way. One role
                # per kind of process, so that pg_stat_statements counts each apart.
                admin.rows(f"CREATE ROLE {role} SUPERUSER LOGIN")
        finally:
            admin.close()

    def url(self, database: str, role: str = "tether_admin") -> str:
        base = self.admin_url.rsplit("/", 1)[0].replace("tether_admin@", f"{role}@")
        return f"{base}/{database}"

    def stop(self) -> None:
        subprocess.run(["bash", str(PG_CLUSTER), "stop", str(self.dir)], capture_output=True)


def iso_ms(text: str) -> float:
    """sync_runs' ISO-8601 UTC text (milliseconds) as unix seconds."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def quantile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))
    return s[k]


# --------------------------------------------------------------------------
# Tether processes
# --------------------------------------------------------------------------

def write_config(path: Path, url: str) -> None:
    path.write_text(json.dumps({
        "database": url,
        "plugins": [{"name": "local-git", "kind": "provider"}, {"name": "sql-storage", "kind": "storage"},
                    {"name": "code", "kind": "analyzer"}, {"name": "docs", "kind": "analyzer"}],
        "defaults": {"provider": "local-git", "storage": "sql-storage", "schedule": "off"},
    }, indent=2))


def tether_checked(binary: Path, config: Path, *args: str):
    res = run_measured([str(binary), "--config", str(config), *args])
    if res.returncode != 0:
        raise BenchError(f"tether {' '.join(args)} exited {res.returncode}: "
                         f"{(res.stderr.strip() or res.stdout.strip())[:2000]}")
    return res


class Api:
    """`tether serve --workers 0` and keep-alive clients of its API."""

    def __init__(self, binary: Path, config: Path, rundir: Path):
        out = tether_checked(binary, config, "token", "create", "--name", "bench").stdout
        self.token = next(w for w in out.split() if w.startswith("tether_"))
        self.log_path = rundir / "serve.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(binary), "--config", str(config), "serve", "--workers", "0",
                                      "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise BenchError(f"tether serve did not start: {line!r}; see {self.log_path}")
        self.port = int(line.rsplit(":", 1)[1])

    def _many(self, calls: list[tuple[str, str, dict | None]], connections: int) -> float:
        """Sends the calls over `connections` keep-alive connections; returns the seconds taken."""
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        errors: list[str] = []

        def client(part):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            for method, path, body in part:
                conn.request(method, path, json.dumps(body) if body is not None else "", headers)
                resp = conn.getresponse()
                payload = resp.read()
                if resp.status >= 300:
                    errors.append(f"{method} {path}: {resp.status} {payload[:300]!r}")
                    return
            conn.close()

        start = time.time()
        threads = [threading.Thread(target=client, args=(calls[k::connections],)) for k in range(connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise BenchError("API: " + errors[0])
        return time.time() - start

    def add_projects(self, names_repos: list[tuple[str, Path]]) -> float:
        return self._many([("POST", "/api/v1/projects", {"name": n, "repo": str(r), "schedule": "off"})
                           for n, r in names_repos], 2)

    def request_syncs(self, names: list[str]) -> float:
        return self._many([("POST", f"/api/v1/projects/{n}/sync", None) for n in names], 2)

    def set_schedule(self, names: list[str], schedule: str) -> float:
        return self._many([("PATCH", f"/api/v1/projects/{n}", {"schedule": schedule}) for n in names], 2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Workers:
    def __init__(self, binary: Path, config: Path, rundir: Path, count: int, concurrency: int, tag: str):
        self.procs, self.logs = [], []
        for k in range(count):
            path = rundir / f"worker-{k + 1}.log"
            f = open(path, "w")
            self.logs.append((path, f))
            self.procs.append(subprocess.Popen(
                [str(binary), "--config", str(config), "worker", "--concurrency", str(concurrency),
                 "--host-id", f"bench-{tag}-host{k + 1}"],
                stdout=subprocess.DEVNULL, stderr=f))

    def alive(self) -> list[int]:
        return [p.returncode for p in self.procs if p.poll() is not None]

    def stop(self) -> list[int]:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=40))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(p.wait())
        for _, f in self.logs:
            f.close()
        return codes

    def log_findings(self) -> list[str]:
        """Warning and error lines of the workers' logs (the level is the second word)."""
        found = []
        for path, _ in self.logs:
            for line in path.read_text(errors="replace").splitlines():
                words = line.split(None, 2)
                if len(words) >= 2 and words[1] in ("warning", "error"):
                    found.append(f"{path.name}: {line[:300]}")
        return found


# --------------------------------------------------------------------------
# Measurements on one database
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Pass:
    wall_s: float              # first request sent .. last run finished
    requests_s: float          # time to send the requests
    runs: int
    outcomes: dict[str, int]
    worker_statements: int     # pg_stat_statements calls by the workers' role
    worker_xact: int           # of which BEGIN / COMMIT / ROLLBACK
    worker_db_ms: float        # their total execution time in PostgreSQL
    api_statements: int
    phases_ms: dict[str, float]  # mean per run
    run_ms: float              # mean run duration (finished - started)
    top: list[tuple[int, float, str]]  # (calls, ms, query) of the workers' most called statements


@dataclasses.dataclass
class ConfigResult:
    workers: int
    first: Pass | None = None
    passes: list[Pass] = dataclasses.field(default_factory=list)
    sql_passes: list[Pass] = dataclasses.field(default_factory=list)
    lag_ms: list[float] = dataclasses.field(default_factory=list)
    lag_round_s: float = 0.0
    lag_anomalies: int = 0
    burst: Pass | None = None
    findings: list[str] = dataclasses.field(default_factory=list)
    exit_codes: list[int] = dataclasses.field(default_factory=list)
    error: str | None = None


PHASES = ("discover", "resolve", "diff", "write", "analyze", "finalize")


class Bench:
    def __init__(self, args, cluster: Cluster, repos: list[Path], workdir: Path):
        self.args, self.cluster, self.repos, self.workdir = args, cluster, repos, workdir
        self.names = [f"p{i:04d}" for i in range(len(repos))]

    # -- statistics ---------------------------------------------------------
    def reset_stats(self, mon: Psql) -> None:
        mon.rows("SELECT pg_stat_statements_reset()")

    def role_statements(self, mon: Psql, role: str) -> tuple[int, int, float]:
        r = mon.rows(
            "SELECT COALESCE(SUM(calls),0), COALESCE(SUM(calls) FILTER (WHERE upper(query) IN"
            " ('BEGIN','COMMIT','ROLLBACK') OR upper(query) LIKE 'BEGIN%'),0), COALESCE(SUM(total_exec_time),0)"
            f" FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = '{role}'"
            " AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())")
        return int(r[0][0]), int(r[0][1]), float(r[0][2])

    def top_statements(self, mon: Psql, role: str, n: int = 8) -> list[tuple[int, float, str]]:
        rows = mon.rows(
            "SELECT calls, round(total_exec_time::numeric, 1), regexp_replace(left(query, 160), '\\s+', ' ', 'g')"
            f" FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = '{role}'"
            " AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            f" ORDER BY calls DESC LIMIT {n}")
        return [(int(c), float(ms), q) for c, ms, q in rows]

    def wait_runs(self, mon: Psql, after_id: int, count: int, timeout_s: float, workers: Workers,
                  trigger: str | None = None) -> None:
        """Until `count` projects each have a finished run with id > after_id."""
        cond = f" AND trigger = '{trigger}'" if trigger else ""
        deadline = time.time() + timeout_s
        while True:
            done = int(mon.value(f"SELECT COUNT(DISTINCT project_id) FROM sync_runs WHERE id > {after_id}"
                                 f" AND outcome <> 'running'{cond}"))
            if done >= count:
                return
            if workers.alive():
                raise BenchError(f"a worker exited (codes {workers.alive()}) with {done} of {count} done")
            if time.time() > deadline:
                raise BenchError(f"timed out after {timeout_s:.0f} s: {done} of {count} projects done")
            time.sleep(0.05)

    def wait_idle(self, mon: Psql, timeout_s: float = 120) -> None:
        deadline = time.time() + timeout_s
        while int(mon.value("SELECT COUNT(*) FROM project_syncs WHERE lease_owner IS NOT NULL"
                            " OR sync_requested_at IS NOT NULL OR resync_requested <> 0")) > 0:
            if time.time() > deadline:
                raise BenchError("the workers did not go idle")
            time.sleep(0.05)

    def summarize(self, mon: Psql, after_id: int, t0: float, requests_s: float) -> Pass:
        rows = mon.rows(
            "SELECT outcome, COUNT(*) FROM sync_runs WHERE id > %d GROUP BY outcome" % after_id)
        outcomes = {o: int(c) for o, c in rows}
        last = mon.value(f"SELECT MAX(finished_at) FROM sync_runs WHERE id > {after_id}")
        means = mon.rows(
            "SELECT " + ", ".join(f"COALESCE(AVG({p}_ms),0)" for p in PHASES) + ", COUNT(*)"
            f" FROM sync_runs WHERE id > {after_id}")[0]
        durations = mon.rows(f"SELECT started_at, finished_at FROM sync_runs WHERE id > {after_id}"
                             " AND finished_at IS NOT NULL")
        run_ms = statistics.mean((iso_ms(f) - iso_ms(s)) * 1000 for s, f in durations) if durations else 0.0
        st, xact, db_ms = self.role_statements(mon, WORKER_ROLE)
        api, _, _ = self.role_statements(mon, API_ROLE)
        return Pass(wall_s=iso_ms(last) - t0, requests_s=requests_s, runs=int(means[-1]), outcomes=outcomes,
                    worker_statements=st, worker_xact=xact, worker_db_ms=db_ms, api_statements=api,
                    phases_ms={p: float(v) for p, v in zip(PHASES, means[:-1])}, run_ms=run_ms,
                    top=self.top_statements(mon, WORKER_ROLE))

    def last_run_id(self, mon: Psql) -> int:
        return int(mon.value("SELECT COALESCE(MAX(id), 0) FROM sync_runs"))

    # -- one database, N workers ------------------------------------------
    def setup_database(self, db: str) -> tuple[Path, Path, Path]:
        admin = Psql(self.cluster.admin_url)
        try:
            admin.rows(f"CREATE DATABASE {db}")
        finally:
            admin.close()
        rundir = self.workdir / db
        rundir.mkdir()
        configs = []
        for role in (WORKER_ROLE, API_ROLE, CLI_ROLE):
            path = rundir / f"{role}.json"
            write_config(path, self.cluster.url(db, role))
            configs.append(path)
        mig = tether_checked(self.args.tether, configs[2], "migrate", "apply")
        log(f"[{db}] migrate apply: {mig.wall_s:.2f} s")
        mon = Psql(self.cluster.url(db))
        try:
            mon.rows("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        finally:
            mon.close()
        return configs[0], configs[1], configs[2]

    def add_projects(self, api: Api, cli_config: Path) -> tuple[list[float], float]:
        """The first --cli-adds by `tether project add`, one process each; the rest through the API."""
        k = min(self.args.cli_adds, len(self.names))
        cli_times = []
        for name, repo in zip(self.names[:k], self.repos[:k]):
            res = tether_checked(self.args.tether, cli_config, "project", "add", name, "--repo", str(repo),
                                 "--no-schedule")
            cli_times.append(res.wall_s)
        api_s = api.add_projects(list(zip(self.names[k:], self.repos[k:])))
        return cli_times, api_s / max(1, len(self.names) - k)

    def run_config(self, n_workers: int, result: ConfigResult) -> tuple[list[float], float]:
        args, P = self.args, len(self.names)
        db = f"workers_{n_workers}"
        worker_cfg, api_cfg, cli_cfg = self.setup_database(db)
        rundir = self.workdir / db
        api = Api(args.tether, api_cfg, rundir)
        workers = None
        mon = Psql(self.cluster.url(db))
        try:
            cli_times, api_add_s = self.add_projects(api, cli_cfg)
            log(f"[{db}] {P} projects added: CLI {statistics.median(cli_times) * 1000:.0f} ms each "
                f"(median of {len(cli_times)}), API {api_add_s * 1000:.1f} ms each")
            workers = Workers(args.tether, worker_cfg, rundir, n_workers, args.concurrency, f"w{n_workers}")
            deadline = time.time() + 60
            while int(mon.value("SELECT COUNT(*) FROM workers WHERE stopped_at IS NULL")) < n_workers:
                if workers.alive() or time.time() > deadline:
                    raise BenchError(f"the workers did not register; see {rundir}/worker-*.log")
                time.sleep(0.05)

            # (a) first syncs, requested through the API.
            after = self.last_run_id(mon)
            self.reset_stats(mon)
            t0 = time.time()
            req_s = api.request_syncs(self.names)
            self.wait_runs(mon, after, P, args.timeout, workers)
            result.first = self.summarize(mon, after, t0, req_s)
            log(f"[{db}] (a) first syncs: {result.first.wall_s:.2f} s, {P / result.first.wall_s:.1f} syncs/s, "
                f"{result.first.outcomes}")

            # (b) passes over the unchanged projects.
            for k in range(args.passes):
                self.wait_idle(mon)
                after = self.last_run_id(mon)
                self.reset_stats(mon)
                t0 = time.time()
                req_s = api.request_syncs(self.names)
                self.wait_runs(mon, after, P, args.timeout, workers)
                p = self.summarize(mon, after, t0, req_s)
                result.passes.append(p)
                log(f"[{db}] (b) pass {k + 1}: {p.wall_s:.2f} s (requests sent in {p.requests_s:.2f} s), "
                    f"{p.worker_statements / P:.1f} statements per project, {p.outcomes}")

            # (b') the same, every request made at once in one SQL statement (what RequestSync
            # writes, and its NOTIFY): the workers alone, without the API's pace.
            for k in range(args.sql_passes):
                self.wait_idle(mon)
                after = self.last_run_id(mon)
                self.reset_stats(mon)
                t0 = time.time()
                mon.rows(f"UPDATE project_syncs SET sync_requested_at = {int(t0 * 1000)},"
                         " sync_requested_trigger = 'api' WHERE sync_requested_at IS NULL")
                mon.rows("SELECT pg_notify('tether_sync', '')")
                req_s = time.time() - t0
                self.wait_runs(mon, after, P, args.timeout, workers)
                p = self.summarize(mon, after, t0, req_s)
                result.sql_passes.append(p)
                log(f"[{db}] (b') pass {k + 1}, requested in SQL: {p.wall_s:.2f} s, "
                    f"{p.worker_statements / P:.1f} statements per project, {p.outcomes}")

            # (c) schedules: set, a first round due at once, then the round spread by the jitter.
            self.wait_idle(mon)
            after = self.last_run_id(mon)
            self.reset_stats(mon)
            t0 = time.time()
            sched_s = api.set_schedule(self.names, f"{args.every}s")
            self.wait_runs(mon, after, P, args.timeout, workers, trigger="schedule")
            result.burst = self.summarize(mon, after, t0, sched_s)
            log(f"[{db}] (c) schedules set ({sched_s:.2f} s); the first round, all due at once: "
                f"{result.burst.wall_s:.2f} s, {result.burst.outcomes}")
            if result.burst.wall_s > 0.9 * args.every:
                log(f"[{db}] note: that round took longer than the jitter's earliest due time")
            self.wait_idle(mon)
            after = self.last_run_id(mon)
            snap_t = time.time()
            due = {int(pid): int(at) for pid, at in mon.rows(
                "SELECT project_id, next_sync_at FROM project_syncs WHERE next_sync_at IS NOT NULL")}
            self.wait_runs(mon, after, P, args.every * 1.2 + args.timeout, workers, trigger="schedule")
            rows = mon.rows(f"SELECT DISTINCT ON (project_id) project_id, started_at FROM sync_runs"
                            f" WHERE id > {after} AND trigger = 'schedule' ORDER BY project_id, id")
            starts = [iso_ms(s) for _, s in rows]
            for pid, started in rows:
                at = due.get(int(pid))
                if at is None or iso_ms(started) < snap_t:
                    result.lag_anomalies += 1
                    continue
                result.lag_ms.append((iso_ms(started) - at) * 1000)
            result.lag_round_s = max(starts) - min(starts) if starts else 0.0
            log(f"[{db}] (c) lag p50 {quantile(result.lag_ms, 0.5):.0f} ms, p99 {quantile(result.lag_ms, 0.99):.0f} ms"
                f" over {len(result.lag_ms)} runs started within {result.lag_round_s:.1f} s")
            # Back to no schedule, so that the baseline below runs alone.
            api.set_schedule(self.names, "off")
            self.wait_idle(mon)
            outcomes = mon.rows("SELECT outcome, COUNT(*) FROM sync_runs GROUP BY outcome ORDER BY 1")
            bad = [f"{o}: {c}" for o, c in outcomes if o not in ("succeeded", "noop")]
            if bad:
                result.findings.append("runs not succeeded/noop over the whole run: " + ", ".join(bad))
            stuck = mon.rows("SELECT status, COUNT(*) FROM project_syncs WHERE status <> 'synced' GROUP BY 1")
            if stuck:
                result.findings.append("projects not 'synced' at the end: " +
                                       ", ".join(f"{s}: {c}" for s, c in stuck))
            return cli_times, api_add_s
        finally:
            if workers:
                result.exit_codes = workers.stop()
                result.findings += workers.log_findings()
            api.stop()
            mon.close()

    def baseline_sync_all(self, db: str) -> list[tuple[float, int, dict[str, int]]]:
        """`tether sync --all -j 4` on a database whose projects are synced; the workers are stopped."""
        cli_cfg = self.workdir / db / f"{CLI_ROLE}.json"
        mon = Psql(self.cluster.url(db))
        out = []
        try:
            for _ in range(self.args.passes):
                after = self.last_run_id(mon)
                self.reset_stats(mon)
                res = run_measured([str(self.args.tether), "--config", str(cli_cfg), "sync", "--all", "-j", "4",
                                    "--json"])
                if res.returncode != 0:
                    raise BenchError(f"tether sync --all exited {res.returncode}: {res.stderr.strip()[:1000]}")
                st, _, _ = self.role_statements(mon, CLI_ROLE)
                outcomes = {o: int(c) for o, c in mon.rows(
                    f"SELECT outcome, COUNT(*) FROM sync_runs WHERE id > {after} GROUP BY 1")}
                out.append((res.wall_s, st, outcomes))
                log(f"[{db}] tether sync --all -j 4: {res.wall_s:.2f} s, {st / len(self.names):.1f} statements"
                    f" per project, {outcomes}")
        finally:
            mon.close()
        return out


def git_rev_parse_baseline(repos: list[Path], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for r in repos:
            subprocess.run(["git", "--git-dir", str(r), "rev-parse", "main"], stdout=subprocess.DEVNULL,
                           check=True)
        times.append(time.perf_counter() - start)
    return times


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def render(args, P: int, build_s: float, git_times: list[float], cli_add: list[float], api_add_s: float,
           results: list[ConfigResult], sync_all: list[tuple[float, int, dict[str, int]]], load: tuple) -> str:
    L = []
    mn = lambda xs: min(xs)
    md = lambda xs: statistics.median(xs)
    base_git = f"git rev-parse x{P}: {mn(git_times):.2f} / {md(git_times):.2f} s" if git_times else "-"
    base_all = (f"sync --all -j 4: {mn([w for w, _, _ in sync_all]):.2f} / {md([w for w, _, _ in sync_all]):.2f} s"
                if sync_all else "-")
    L.append(f"{P} projects (4 files each), repositories written in {build_s:.1f} s; PostgreSQL "
             f"{'durable (fsync on)' if not args.no_fsync else 'fsync off'}; each worker --concurrency "
             f"{args.concurrency}; load average before/after: {load[0]:.2f} / {load[1]:.2f}")
    if cli_add:
        L.append(f"adding projects: `tether project add` {md(cli_add) * 1000:.0f} ms each (median of {len(cli_add)},"
                 f" {md(cli_add) * P:.0f} s for {P}); POST /api/v1/projects {api_add_s * 1000:.1f} ms each"
                 f" ({api_add_s * P:.1f} s): the API added the rest")
    L.append("")
    head = f"{'figure':<44} {'workers':>7}  {'min / median':>17}  {'baseline (min / median)':<34} {'target':<8} verdict"
    L += [head, "-" * len(head)]
    for r in results:
        if r.first:
            f = r.first
            L.append(f"{'(a) first syncs: wall s':<44} {r.workers:>7}  {f.wall_s:>17.2f}  {'-':<34} {'-':<8}")
            L.append(f"{'    syncs per second':<44} {r.workers:>7}  {P / f.wall_s:>17.1f}  {'-':<34} {'-':<8}")
        if r.passes:
            walls = [p.wall_s for p in r.passes]
            ok = md(walls) < TARGET_PASS_S * P / 1000
            L.append(f"{'(b) unchanged pass: wall s':<44} {r.workers:>7}  {mn(walls):>8.2f} / {md(walls):<6.2f}  "
                     f"{base_all:<34} {'<' + format(TARGET_PASS_S * P / 1000, '.0f') + ' s':<8} "
                     f"{'PASS' if ok else 'MISS'}")
            L.append(f"{'    syncs per second':<44} {r.workers:>7}  {P / max(walls):>8.1f} / {P / md(walls):<6.1f}  "
                     f"{base_git:<34} {'-':<8}")
            st = [p.worker_statements / P for p in r.passes]
            L.append(f"{'    worker statements per project':<44} {r.workers:>7}  {mn(st):>8.1f} / {md(st):<6.1f}  "
                     f"{('sync --all: ' + format(md([s for _, s, _ in sync_all]) / P, '.1f')) if sync_all else '-':<34}"
                     f" {'-':<8}")
        if r.sql_passes:
            walls = [p.wall_s for p in r.sql_passes]
            label = "(b') same, requested in one SQL statement"
            L.append(f"{label:<44} {r.workers:>7}  {mn(walls):>8.2f} / "
                     f"{md(walls):<6.2f}  {'-':<34} {'<' + format(TARGET_PASS_S * P / 1000, '.0f') + ' s':<8} "
                     f"{'PASS' if md(walls) < TARGET_PASS_S * P / 1000 else 'MISS'}")
        if r.lag_ms:
            L.append(f"{'(c) scheduling lag p50 / p99 / max ms':<44} {r.workers:>7}  "
                     f"{quantile(r.lag_ms, .5):>5.0f} / {quantile(r.lag_ms, .99):>4.0f} / {max(r.lag_ms):<5.0f}"
                     f"{'':<1} {'-':<34} {'-':<8}")
    L.append("")
    L.append("(a): wall = first sync request sent .. last run's finished_at; the requests go through POST "
             "/api/v1/projects/NAME/sync of a `serve --workers 0`, the workers already running.")
    L.append("(b): the same with every project unchanged; statements = pg_stat_statements calls by the workers' "
             "role in the pass (BEGIN and COMMIT included; the API's and the bench's own are not).")
    L.append("(b'): every request written at once in SQL (UPDATE project_syncs SET sync_requested_at, then "
             "pg_notify('tether_sync')), as RequestSync writes them: the workers without the API's pace.")
    L.append(f"(c): every project due once by schedule (every {args.every} s, spread by its jitter); "
             "lag = the run's started_at less the project's next_sync_at (whole seconds).")

    L += ["", "per pass, means per run (ms):"]
    L.append(f"{'workers':>7} {'pass':<6} {'run ms':>7} " + " ".join(f"{p:>8}" for p in PHASES) +
             f" {'stmts':>6} {'of which tx':>11} {'db ms':>6} {'api stmts':>9} {'requests s':>10}  outcomes")
    for r in results:
        for label, p in ([("first", r.first)] if r.first else []) + \
                        [(f"b{k + 1}", p) for k, p in enumerate(r.passes)] + \
                        [(f"sql{k + 1}", p) for k, p in enumerate(r.sql_passes)] + \
                        ([("sched", r.burst)] if r.burst else []):
            L.append(f"{r.workers:>7} {label:<6} {p.run_ms:>7.1f} " +
                     " ".join(f"{p.phases_ms[ph]:>8.1f}" for ph in PHASES) +
                     f" {p.worker_statements / P:>6.1f} {p.worker_xact / P:>11.1f} {p.worker_db_ms / P:>6.2f}"
                     f" {p.api_statements / P:>9.1f} {p.requests_s:>10.2f}  {p.outcomes}")
    for r in results:
        if r.passes:
            L += ["", f"the workers' most called statements, last pass, {r.workers} worker(s) (calls, total ms):"]
            for calls, ms, q in r.passes[-1].top:
                L.append(f"  {calls:>6} {ms:>9.1f}  {q}")
    L += ["", "targets"]
    any_target = False
    for r in results:
        if r.passes:
            any_target = True
            walls = [p.wall_s for p in r.passes]
            t = TARGET_PASS_S * P / 1000
            L.append(f"  {'PASS' if md(walls) < t else 'MISS'}  [{r.workers} worker(s)] a pass over {P} unchanged "
                     f"projects under {t:.0f} s: median {md(walls):.2f} s (min {mn(walls):.2f} s), requested "
                     f"through the API")
            if r.sql_passes:
                w = [p.wall_s for p in r.sql_passes]
                L.append(f"  {'PASS' if md(w) < t else 'MISS'}  [{r.workers} worker(s)] the same, requested in SQL: "
                         f"median {md(w):.2f} s (min {mn(w):.2f} s)")
    if not any_target:
        L.append("  (no pass was measured)")
    L += ["", "worker behaviour"]
    for r in results:
        codes = ", ".join(str(c) for c in r.exit_codes) or "-"
        L.append(f"  [{r.workers} worker(s)] exit codes on SIGTERM: {codes}; lag runs out of order: {r.lag_anomalies}")
        for f in r.findings[:20]:
            L.append(f"    {f}")
        if len(r.findings) > 20:
            L.append(f"    ... {len(r.findings) - 20} more")
        if r.error:
            L.append(f"    could not run: {r.error}")
    return "\n".join(L)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--workers", default="1,2,4", help="numbers of worker processes (default: %(default)s)")
    ap.add_argument("--concurrency", type=int, default=2, help="each worker's --concurrency (default: 2)")
    ap.add_argument("--passes", type=int, default=3, help="unchanged passes per worker count (default: 3)")
    ap.add_argument("--sql-passes", type=int, default=1,
                    help="passes requested in one SQL statement instead of the API (default: 1)")
    ap.add_argument("--every", type=int, default=60, help="the schedule of (c), in seconds (default: 60)")
    ap.add_argument("--cli-adds", type=int, default=10, help="projects added by `tether project add` (timed)")
    ap.add_argument("--git-runs", type=int, default=3, help="runs of the git rev-parse baseline")
    ap.add_argument("--no-sync-all", action="store_true", help="skip the `tether sync --all -j 4` baseline")
    ap.add_argument("--no-fsync", action="store_true", help="PostgreSQL without fsync (default: durable)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds a phase may take (default: 600)")
    ap.add_argument("--tether", type=Path, default=DEFAULT_TETHER)
    ap.add_argument("--workdir", type=Path, help="where repositories and logs go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, repositories)")
    ap.add_argument("--quiet", action="store_true")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    global QUIET
    args = parse_args(argv)
    QUIET = args.quiet
    try:
        counts = [int(x) for x in args.workers.split(",") if x.strip()]
    except ValueError:
        print(f"error: --workers takes numbers, got {args.workers!r}", file=sys.stderr)
        return 2
    args.tether = args.tether.resolve()
    if not os.access(args.tether, os.X_OK):
        print(f"error: no tether binary at {args.tether} (build it or pass --tether)", file=sys.stderr)
        return 2
    for tool in ("git", "psql"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            print(f"error: {tool} not found on PATH", file=sys.stderr)
            return 2
    if not any(Path(d, "pg_stat_statements.so").exists() for d in Path("/usr/lib/postgresql").glob("*/lib")):
        print("error: pg_stat_statements not found (Debian's postgresql package ships it)", file=sys.stderr)
        return 2

    if args.workdir:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        if any(workdir.iterdir()):
            print(f"error: --workdir {workdir} is not empty", file=sys.stderr)
            return 2
    else:
        workdir = Path(tempfile.mkdtemp(prefix="tether-workers-bench-"))
    load_before = os.getloadavg()[0]
    status = 0
    cluster = None
    results: list[ConfigResult] = []
    git_times: list[float] = []
    cli_add: list[float] = []
    api_add = 0.0
    sync_all: list = []
    build_s = 0.0
    P = args.projects
    try:
        start = time.perf_counter()
        repos = [workdir / "repos" / f"p{i:04d}.git" for i in range(P)]
        for i, path in enumerate(repos):
            build_repo(path, i)
        build_s = time.perf_counter() - start
        log(f"{P} repositories written in {build_s:.1f} s")
        git_times = git_rev_parse_baseline(repos, args.git_runs)
        log(f"git rev-parse over {P} repositories: {', '.join(f'{t:.2f}' for t in git_times)} s")
        cluster = Cluster(durable=not args.no_fsync)
        bench = Bench(args, cluster, repos, workdir)
        for n in counts:
            r = ConfigResult(n)
            results.append(r)
            try:
                c, a = bench.run_config(n, r)
                if not cli_add:
                    cli_add, api_add = c, a
            except BenchError as e:
                r.error = str(e)
                status = 1
                log(f"[{n} worker(s)] error: {e}")
        if not args.no_sync_all and results and results[0].error is None:
            try:
                sync_all = bench.baseline_sync_all(f"workers_{results[0].workers}")
            except BenchError as e:
                log(f"sync --all baseline: {e}")
                status = 1
    except (BenchError, OSError, subprocess.CalledProcessError) as e:
        print(f"error: {e}", file=sys.stderr)
        status = 1
    finally:
        if cluster:
            cluster.stop()
        if not args.keep and not args.workdir:
            subprocess.run(["rm", "-rf", str(workdir)])
        else:
            log(f"work directory kept: {workdir}")
    print(render(args, P, build_s, git_times, cli_add, api_add, results, sync_all,
                 (load_before, os.getloadavg()[0])))
    return status


if __name__ == "__main__":
    sys.exit(main())
