#!/usr/bin/env python3
"""Tether analyze benchmark: the first analysis of a real repository, beside ctags.

On a bare clone of a real-history repository (default: this repository;
--repo PATH for another, e.g. a bigger C project), the script:

  1. syncs the commit without analysing (`tether sync --no-analyze`), then
     runs `tether analyze` -- the first analysis -- and once more with
     nothing left to do (the fixed cost of a process: config, plugins, the
     analyzer's creation, one look at the work);
  2. reads from Tether's database what was analysed: files and bytes per
     language, and which of them a grammar parsed ("source");
  3. runs universal-ctags over the same source files, from a checkout of
     the same commit (`git archive`), as the baseline;
  4. commits a change of ten source files to the clone, `tether --json sync`,
     and reads the analyze phase's time from the run's `timings_ms`
     (several rounds, the same ten files each time);
  5. prints the figures side by side with the baseline and the targets
     (PASS / MISS).

It is a report, not a test: exit 0 when the report was printed, even with
MISS lines; 1 when something could not run; 2 on bad usage. Nothing here
needs the network. Python 3.11 standard library only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync_bench as sb  # noqa: E402  (same folder: run_measured, BenchError)

PROJECT = "bench"
BRANCH = "tether-analyze-bench"      # the branch the project follows in the clone
ANALYZER = "code"

# Targets (issue 12, also in README.md).
TARGET_MB_S = 8.0                    # first analysis, MB/s of source, 2 cores
TARGET_CHANGE_MS = 100.0             # analyze phase of a 10-file change
CHANGE_FILES = 10

# The languages the code analyzer parses with a grammar (its data then has a
# "grammar" member); anything else gets line counts only.
COMMENT_PREFIX = {
    "c": "//", "cpp": "//", "javascript": "//", "typescript": "//", "go": "//", "rust": "//",
    "java": "//", "python": "#", "shell": "#", "markdown": "",
}

IDENTITY = {
    "GIT_AUTHOR_NAME": "Tether Bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Tether Bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000",
}


@dataclasses.dataclass
class Analysed:
    """One analysed (blob, language), as the database has it."""
    path: str
    language: str
    size: int
    grammar: str       # "" when no grammar parsed it
    symbols: int


@dataclasses.dataclass
class Run:
    label: str
    wall_s: float
    cpu_s: float
    maxrss_kib: int
    detail: dict


def mb(n_bytes: float) -> float:
    return n_bytes / 1e6


@dataclasses.dataclass
class Child:
    """A finished child process: sync_bench's ChildResult plus its CPU time."""
    returncode: int
    wall_s: float
    cpu_s: float        # user + system, from wait4 (the child and what it waited for)
    maxrss_kib: int
    stdout: str
    stderr: str


def run_measured(cmd: list[str], cwd: Path | None = None) -> Child:
    """Like sync_bench.run_measured, keeping the CPU time too: on a busy
    machine the wall time of a parallel run says little, its CPU time more."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        except OSError as e:
            raise sb.BenchError(f"cannot start {cmd[0]}: {e}") from e
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Child(proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
                     out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


# --------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------

class Cluster:
    """A throwaway PostgreSQL cluster (tests/support/pg_cluster.sh), durable settings."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="tether-pg-analyze-"))
        env = dict(os.environ, PG_CLUSTER_DURABLE="1")
        proc = subprocess.run(["bash", str(sb.REPO_ROOT / "tests/support/pg_cluster.sh"), "start", str(self.dir)],
                              env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise sb.BenchError(f"could not start PostgreSQL: {proc.stderr.strip()}")
        admin = (self.dir / "url").read_text().strip()
        subprocess.run(["psql", admin, "-Atqc", "CREATE DATABASE tether_analyze_bench"], check=True,
                       capture_output=True)
        self.url = admin.rsplit("/", 1)[0] + "/tether_analyze_bench"

    def stop(self) -> None:
        subprocess.run(["bash", str(sb.REPO_ROOT / "tests/support/pg_cluster.sh"), "stop", str(self.dir)],
                       check=False, capture_output=True)


# What was analysed: one row per analysed (blob, language) of the project,
# with one of its paths. The same text for both dialects.
ANALYSED_SQL = f"""
SELECT d.path, d.language, d.size, r.data,
       (SELECT COUNT(*) FROM analysis_symbols s WHERE s.result_id = r.id)
FROM (SELECT blob_sha, COALESCE(language, '') AS language, MAX(size) AS size, MIN(path) AS path
      FROM documents WHERE project_id = (SELECT id FROM projects WHERE name = '{PROJECT}')
        AND kind IN ('file', 'executable')
      GROUP BY blob_sha, COALESCE(language, '')) d
JOIN analysis_results r ON r.blob_sha = d.blob_sha AND r.language = d.language
WHERE r.analyzer = '{ANALYZER}' AND r.state = 'analyzed'
"""


def read_analysed(database: str) -> list[Analysed]:
    if database.startswith("sqlite:"):
        db = sqlite3.connect(f"file:{database[len('sqlite:'):]}?mode=ro", uri=True)
        try:
            rows = db.execute(ANALYSED_SQL).fetchall()
        finally:
            db.close()
    else:
        # psql, one JSON object a line (no separator can clash with the data).
        sql = f"SELECT row_to_json(q) FROM ({ANALYSED_SQL}) q"
        proc = subprocess.run(["psql", database, "-Atq", "-c", sql], capture_output=True, text=True)
        if proc.returncode != 0:
            raise sb.BenchError(f"psql failed: {proc.stderr.strip()}")
        rows = [list(json.loads(line).values()) for line in proc.stdout.splitlines() if line.strip()]
    out = []
    for path, language, size, data, symbols in rows:
        try:
            grammar = json.loads(data or "{}").get("grammar", "")
        except ValueError:
            grammar = ""
        out.append(Analysed(path, language, int(size), grammar, int(symbols)))
    return out


# --------------------------------------------------------------------------
# Tether
# --------------------------------------------------------------------------

class Tether:
    def __init__(self, binary: Path, rundir: Path, database: str):
        self.binary = binary
        self.rundir = rundir
        self.config = rundir / "tether.json"
        self.database = database

    def cli(self, *args: str) -> Child:
        return run_measured([str(self.binary), "--config", str(self.config), *args], cwd=self.rundir)

    def checked(self, *args: str) -> Child:
        res = self.cli(*args)
        if res.returncode != 0:
            output = (res.stderr.strip() or res.stdout.strip() or "(no output)")[:2000]
            raise sb.BenchError(f"tether {' '.join(args)} exited {res.returncode}: {output}")
        return res

    def setup(self, repo: Path) -> None:
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.checked("init", "--database", self.database)
        config = json.loads(self.config.read_text())
        plugins = config.setdefault("plugins", [])
        if not any(p.get("name") == ANALYZER for p in plugins):
            plugins.append({"name": ANALYZER, "kind": "analyzer"})
            self.config.write_text(json.dumps(config, indent=2) + "\n")
        self.checked("project", "add", PROJECT, "--provider", "local-git", "--repo", repo.resolve().as_uri(),
                     "--branch", BRANCH)

    def sync(self, *extra: str) -> Run:
        res = self.checked("--json", "sync", PROJECT, *extra)
        try:
            run = json.loads(res.stdout)["runs"][0]
        except (ValueError, KeyError, IndexError) as e:
            raise sb.BenchError(f"tether sync printed no usable JSON ({e}): {res.stdout[:2000]}") from e
        if run.get("outcome") == "failed":
            raise sb.BenchError(f"tether sync failed: {run.get('error')}")
        return Run("sync", res.wall_s, res.cpu_s, res.maxrss_kib, run)

    def analyze(self) -> Run:
        res = self.checked("--json", "analyze", PROJECT)
        try:
            tally = json.loads(res.stdout)["projects"][0]["analysis"][ANALYZER]
        except (ValueError, KeyError, IndexError) as e:
            raise sb.BenchError(f"tether analyze printed no usable JSON ({e}): {res.stdout[:2000]}") from e
        return Run("analyze", res.wall_s, res.cpu_s, res.maxrss_kib, tally)


# --------------------------------------------------------------------------
# The repository, the checkout, the change
# --------------------------------------------------------------------------

def prepare_repo(source: Path, rev: str, workdir: Path) -> tuple[Path, str]:
    """A bare clone of `source` with BRANCH at `rev`; returns (clone, commit)."""
    commit = sb.git(source, "rev-parse", "--verify", f"{rev}^{{commit}}").strip()
    clone = workdir / "repo.git"
    if clone.exists():
        shutil.rmtree(clone)
    proc = subprocess.run(["git", "clone", "--quiet", "--bare", str(source), str(clone)], capture_output=True)
    if proc.returncode != 0:
        raise sb.BenchError(f"git clone failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    # A revision that no branch of the source names is fetched explicitly.
    if subprocess.run(["git", "-C", str(clone), "cat-file", "-e", commit], capture_output=True).returncode != 0:
        sb.git(clone, "fetch", "--quiet", str(source.resolve()), commit)
    sb.git(clone, "update-ref", f"refs/heads/{BRANCH}", commit)
    return clone, commit


def checkout(repo: Path, commit: str, dest: Path) -> None:
    """The commit's files under `dest` (git archive | tar -x)."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(repo), "archive", "--format=tar", commit], stdout=subprocess.PIPE)
    untar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, capture_output=True)
    archive.stdout.close()
    if archive.wait() != 0 or untar.returncode != 0:
        raise sb.BenchError(f"git archive | tar failed: {untar.stderr.decode('utf-8', 'replace').strip()}")


def commit_change(repo: Path, parent: str, files: list[Analysed], round_no: int, index: Path) -> str:
    """A child of `parent` in which each of `files` gains one comment line; BRANCH moves to it."""
    env = dict(os.environ, GIT_INDEX_FILE=str(index), **IDENTITY)

    def run(*args: str, input_bytes: bytes | None = None) -> str:
        proc = subprocess.run(["git", "-C", str(repo), *args], input=input_bytes, capture_output=True, env=env)
        if proc.returncode != 0:
            raise sb.BenchError(f"git {' '.join(args)} failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
        return proc.stdout.decode("utf-8", "replace")

    run("read-tree", parent)
    for f in files:
        mode = run("ls-tree", parent, "--", f.path).split()[0]
        content = run("cat-file", "blob", f"{parent}:{f.path}").encode()
        if content and not content.endswith(b"\n"):
            content += b"\n"
        prefix = COMMENT_PREFIX.get(f.grammar if f.grammar in COMMENT_PREFIX else f.language, "#")
        line = f"{prefix} tether analyze bench: change {round_no}".strip()
        content += ("\n" + line + "\n" if prefix == "" else line + "\n").encode()
        blob = run("hash-object", "-w", "--stdin", input_bytes=content).strip()
        run("update-index", "--cacheinfo", f"{mode},{blob},{f.path}")
    tree = run("write-tree").strip()
    new = run("commit-tree", tree, "-p", parent, "-m", f"analyze bench: change {CHANGE_FILES} files ({round_no})",
              ).strip()
    run("update-ref", f"refs/heads/{BRANCH}", new, parent)
    return new


def pick_change_files(source: list[Analysed], seed: int) -> list[Analysed]:
    """Ten source files chosen by `seed` among those a grammar parsed.

    Each path is ranked by a hash of the seed and the path alone, so that
    two builds that analyse a slightly different set of files (a skip rule
    changed) still pick the same files wherever they can.
    """
    def rank(a: Analysed) -> str:
        return hashlib.sha256(f"tether-analyze-bench:{seed}:{a.path}".encode()).hexdigest()
    return sorted((a for a in source if a.grammar), key=rank)[:CHANGE_FILES]


# --------------------------------------------------------------------------
# ctags
# --------------------------------------------------------------------------

def run_ctags(tree: Path, paths: list[str], workdir: Path, runs: int) -> tuple[Child, int]:
    """ctags over `paths` (relative to `tree`), best of `runs`; returns the run and the tag count."""
    listing = workdir / "ctags-files.txt"
    listing.write_text("".join(p + "\n" for p in paths))
    tags = workdir / "tags"
    best = None
    for _ in range(max(1, runs)):
        res = run_measured(["ctags", "-L", str(listing), "--fields=+n+e", "-f", str(tags)], cwd=tree)
        if res.returncode != 0:
            raise sb.BenchError(f"ctags exited {res.returncode}: {res.stderr.strip()[:2000]}")
        if best is None or res.wall_s < best.wall_s:
            best = res
    count = sum(1 for line in tags.read_text(errors="replace").splitlines() if not line.startswith("!_"))
    return best, count


# --------------------------------------------------------------------------
# Driver and report
# --------------------------------------------------------------------------

def bench(args, workdir: Path, log) -> list[str]:
    lines: list[str] = []
    repo, commit = prepare_repo(args.repo, args.rev, workdir)
    files = sb.count_files(repo, commit)
    log(f"repository {args.repo} at {commit[:12]}: {files} files")

    cluster = None
    try:
        if args.database == "postgres":
            cluster = Cluster()
            database = cluster.url
        else:
            database = f"sqlite:{workdir / 'tether.db'}"
        t = Tether(args.tether, workdir / "tether", database)
        if t.rundir.exists():
            shutil.rmtree(t.rundir)
        t.setup(repo)
        load = os.getloadavg()

        # (a) the first analysis
        synced = t.sync("--no-analyze")
        log(f"sync --no-analyze: {synced.wall_s:.2f} s, {synced.detail.get('files_added')} files")
        first = t.analyze()
        log(f"analyze: {first.wall_s:.2f} s, {first.detail}")
        again = t.analyze()
        log(f"analyze with nothing to do: {again.wall_s:.3f} s")
        analysed = read_analysed(database)
        source = [a for a in analysed if a.grammar]

        # (b) ctags over the same source files
        tree = workdir / "checkout"
        checkout(repo, commit, tree)
        ctags = None
        tags = 0
        if shutil.which("ctags"):
            ctags, tags = run_ctags(tree, sorted(a.path for a in source), workdir, args.ctags_runs)
            log(f"ctags: {ctags.wall_s:.3f} s, {tags} tags")

        # (c) 10-file changes
        changed = pick_change_files(source, args.seed)
        rounds: list[Run] = []
        parent = commit
        for k in range(1, args.changes + 1):
            parent = commit_change(repo, parent, changed, k, workdir / "bench.index")
            rounds.append(t.sync())
            r = rounds[-1].detail
            log(f"change {k}: analyze {r['timings_ms'].get('analyze')} ms, {r.get('analysis')}")
    finally:
        if cluster:
            cluster.stop()

    # ---- report ------------------------------------------------------------
    all_bytes = sum(a.size for a in analysed)
    src_bytes = sum(a.size for a in source)
    fixed_s = again.wall_s
    net_s = max(first.wall_s - fixed_s, 1e-9)
    symbols = sum(a.symbols for a in analysed)
    lines.append(f"repository   {args.repo} at {commit[:12]}: {files} files; database {args.database}; "
                 f"{os.cpu_count()} cores, load average {load[0]:.2f} before the runs")
    lines.append(f"sync --no-analyze  {synced.wall_s:.2f} s wall; "
                 f"tether analyze: {first.detail.get('analyzed')} analyzed, {first.detail.get('skipped')} skipped, "
                 f"{first.detail.get('failed')} failed; {symbols} symbols")
    lines.append("")
    header = (f"{'first analysis':<34} {'files':>6} {'MB':>7} {'wall s':>7} {'files/s':>8} {'MB/s':>7} "
              f"{'CPU s':>6} {'peak RSS MB':>11}")
    lines += [header, "-" * len(header)]

    def row(label, n, size, seconds, cpu_s, rss_kib):
        cpu = f"{cpu_s:6.2f}" if cpu_s is not None else f"{'':>6}"
        rss = f"{rss_kib / 1024:11.0f}" if rss_kib is not None else f"{'':>11}"
        lines.append(f"{label:<34} {n:>6} {mb(size):7.2f} {seconds:7.3f} {n / seconds:8.0f} "
                     f"{mb(size) / seconds:7.2f} {cpu} {rss}")

    row("tether analyze, all analysed", len(analysed), all_bytes, first.wall_s, first.cpu_s, first.maxrss_kib)
    row("  of which source (a grammar)", len(source), src_bytes, first.wall_s, None, None)
    row(f"  source, less the fixed {fixed_s * 1000:.0f} ms", len(source), src_bytes, net_s,
        first.cpu_s - again.cpu_s, None)
    if ctags:
        row(f"ctags, the same source (1 thread)", len(source), src_bytes, ctags.wall_s, ctags.cpu_s,
            ctags.maxrss_kib)
    lines.append(f"(fixed = a second `tether analyze` with nothing to do: process start, config, plugins, the "
                 f"analyzer's creation, one look at the work)")
    if ctags:
        lines.append(f"symbols: tether {sum(a.symbols for a in source)} on the source files, ctags {tags} tags")

    lines += ["", f"{'by language':<16} {'files':>6} {'MB':>7} {'symbols':>8}"]
    by_language: dict[str, list[Analysed]] = {}
    for a in analysed:
        by_language.setdefault(a.grammar or f"({a.language or 'none'})", []).append(a)
    for name, items in sorted(by_language.items(), key=lambda kv: -sum(a.size for a in kv[1])):
        lines.append(f"{name:<16} {len(items):>6} {mb(sum(a.size for a in items)):7.2f} "
                     f"{sum(a.symbols for a in items):>8}")

    analyze_ms = [float(r.detail["timings_ms"].get("analyze") or 0.0) for r in rounds]
    lines += ["", f"10-file change: {len(changed)} source files, {sum(a.size for a in changed) / 1024:.0f} KiB "
                  f"({', '.join(sorted({a.grammar for a in changed}))}), {len(rounds)} rounds"]
    lines.append(f"{'round':>5} {'analyze ms':>11} {'engine ms':>10} {'wall s':>7} {'analyzed':>9} "
                 f"{'peak RSS MB':>11}")
    for k, r in enumerate(rounds, 1):
        tally = (r.detail.get("analysis") or {}).get(ANALYZER, {})
        lines.append(f"{k:>5} {analyze_ms[k - 1]:11.1f} {float(r.detail.get('total_ms', 0)):10.1f} "
                     f"{r.wall_s:7.3f} {tally.get('analyzed', '-'):>9} {r.maxrss_kib / 1024:11.0f}")

    lines += ["", "targets"]

    def verdict(ok: bool, text: str):
        lines.append(f"  {'PASS' if ok else 'MISS'}  {text}")

    rate = mb(src_bytes) / net_s
    verdict(rate >= TARGET_MB_S,
            f"first analysis at least {TARGET_MB_S:.0f} MB/s of source on {os.cpu_count()} cores: "
            f"{rate:.2f} MB/s ({len(source) / net_s:.0f} files/s; {mb(src_bytes) / first.wall_s:.2f} MB/s "
            f"counting the fixed cost)" + (f"; ctags {mb(src_bytes) / ctags.wall_s:.2f} MB/s" if ctags else ""))
    net_cpu = first.cpu_s - again.cpu_s
    if net_cpu > 0:
        lines.append(f"  info  CPU time of that analysis: {net_cpu:.2f} s, {mb(src_bytes) / net_cpu:.2f} MB of source "
                     f"per CPU second (the most {os.cpu_count()} idle cores could give: "
                     f"{mb(src_bytes) / net_cpu * (os.cpu_count() or 1):.2f} MB/s)")
    if analyze_ms:
        worst = max(analyze_ms)
        verdict(worst < TARGET_CHANGE_MS,
                f"a {CHANGE_FILES}-file change analysed in under {TARGET_CHANGE_MS:.0f} ms: "
                f"median {statistics.median(analyze_ms):.1f} ms, worst {worst:.1f} ms")
    mismatches = []
    for k, r in enumerate(rounds, 1):
        got = (r.detail.get("analysis") or {}).get(ANALYZER, {}).get("analyzed")
        if got != len(changed):
            mismatches.append(f"MISMATCH change {k}: {got} blobs analyzed, expected {len(changed)}")
    peak = max([first.maxrss_kib] + [r.maxrss_kib for r in rounds])
    lines.append(f"  info  peak RSS of tether: {peak / 1024:.0f} MB")
    lines += ["", "correctness: " + ("all checks passed" if not mismatches else f"{len(mismatches)} mismatch(es)")]
    lines += mismatches
    return lines


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", type=Path, default=sb.REPO_ROOT,
                    help="the repository to analyse (default: this one); it is cloned, never changed")
    ap.add_argument("--rev", default="HEAD", help="the commit to analyse (default: %(default)s)")
    ap.add_argument("--tether", type=Path, default=sb.DEFAULT_TETHER,
                    help="the tether binary (default: build/bin/tether in the repository)")
    ap.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                    help="sqlite (default) or postgres (a throwaway cluster, tests/support/pg_cluster.sh)")
    ap.add_argument("--changes", type=int, default=3, help="rounds of the 10-file change (default: %(default)s)")
    ap.add_argument("--ctags-runs", type=int, default=3, help="ctags runs, the best kept (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="which ten files change (default: %(default)s)")
    ap.add_argument("--workdir", type=Path, help="where the clone and databases go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the temp work directory")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("git") is None:
        print("error: git not found on PATH", file=sys.stderr)
        return 2
    args.tether = args.tether.resolve()
    if not os.access(args.tether, os.X_OK):
        print(f"error: tether binary not found or not executable: {args.tether} (build it, or pass --tether)",
              file=sys.stderr)
        return 2
    if args.changes < 0:
        print("error: --changes must be 0 or more", file=sys.stderr)
        return 2
    args.repo = args.repo.resolve()
    log = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    if args.workdir:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        remove = False
    else:
        workdir = Path(tempfile.mkdtemp(prefix="tether-analyze-bench-"))
        remove = not args.keep
    if shutil.which("ctags") is None:
        log("ctags not found: no baseline (apt-get install universal-ctags)")
    try:
        lines = bench(args, workdir, log)
    except (sb.BenchError, subprocess.CalledProcessError, OSError, sqlite3.Error) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        if remove:
            shutil.rmtree(workdir, ignore_errors=True)
        elif not args.quiet:
            log(f"work directory kept: {workdir}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
