#!/usr/bin/env python3
"""Tether sync benchmark: Tether's CLI against a naive "load everything" baseline.

For each requested size (number of files) the script:

  1. builds a deterministic synthetic git repository with `git fast-import`
     (one commit on `main`, plus a second commit that changes exactly ten
     files -- 6 modified, 2 added, 2 deleted -- parked on a side ref);
  2. runs the baseline: `git ls-tree -r -l` + `git cat-file --batch` over every
     blob, loaded into a fresh SQLite database in one transaction. It runs in
     a subprocess of this very script (--baseline-worker) so that its wall
     time and peak RSS are measured exactly like Tether's;
  3. runs Tether through its CLI: init, project add, then three syncs:
       (a) first sync, (b) no-op resync, (c) resync after the 10-file commit;
     (a) and (c) copy only (--no-analyze: the baseline analyses nothing);
     between them `tether analyze` and one no-op sync run untimed (the
     no-op looks for analysis work, since the last run did not analyse), so
     that (b) is the no-op a user sees run after run (it knows from the run
     before that nothing is left; bench/analyze_bench.py measures the
     analysis itself);
     and checks the results (document counts, change counts);
  4. prints one table plus a "targets" section (PASS / MISS).

It is a report, not a test: it exits 0 even when a target is missed or a
count does not match (those print MISS / MISMATCH lines). It exits non-zero
only when something could not run (git missing, the tether binary missing or
crashing, unparsable output).

Python 3.11 standard library only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TETHER = REPO_ROOT / "build" / "bin" / "tether"

PROJECT = "bench"
MAIN_REF = "refs/heads/main"
NEXT_REF = "refs/bench/next"  # where the 10-file commit waits until scenario (c)

# Targets (also documented in README.md).
TARGET_NOOP_MS = 20.0          # no-op resync, engine time
TARGET_INCR_FRACTION = 0.02    # 10-file resync vs first sync, on 100k files
TARGET_INCR_SIZE = 100_000
TARGET_RSS_MB = 200.0          # peak RSS of any tether run

SCENARIOS = [
    ("first", "first sync"),
    ("noop", "no-op resync"),
    ("incr", "10-file resync"),
]


class BenchError(Exception):
    """Something could not run; the script exits non-zero."""


# --------------------------------------------------------------------------
# Child processes with wall time and peak RSS
# --------------------------------------------------------------------------

@dataclasses.dataclass
class ChildResult:
    cmd: list[str]
    returncode: int
    wall_s: float
    maxrss_kib: int   # ru_maxrss from wait4: max of the child and its waited-for descendants
    stdout: str
    stderr: str


def run_measured(cmd: list[str], cwd: Path | None = None) -> ChildResult:
    """Runs `cmd` to completion; returns wall time and peak RSS via os.wait4.

    Output goes to temporary files rather than pipes so that we can reap the
    child ourselves with wait4 (Popen.wait would discard the rusage) without
    risking a pipe deadlock.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err)
        except OSError as e:
            raise BenchError(f"cannot start {cmd[0]}: {e}") from e
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from reaping again
        out.seek(0)
        err.seek(0)
        return ChildResult(cmd, proc.returncode, wall, usage.ru_maxrss,
                           out.read().decode("utf-8", "replace"),
                           err.read().decode("utf-8", "replace"))


def git(repo: Path, *args: str, input_bytes: bytes | None = None) -> str:
    """Runs a git command in `repo` and returns its stdout; raises BenchError on failure."""
    proc = subprocess.run(["git", "-C", str(repo), *args], input=input_bytes,
                          capture_output=True)
    if proc.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed: "
                         f"{proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8", "replace")


def count_files(repo: Path, commit: str) -> int:
    """Number of files (blobs, recursively) in `commit`: `git ls-tree -r --name-only | wc -l`."""
    out = git(repo, "ls-tree", "-r", "-z", "--name-only", commit)
    return out.count("\0")


# --------------------------------------------------------------------------
# Synthetic repository
# --------------------------------------------------------------------------

FILES_PER_DIR = 100
TEXT_EXTENSIONS = [".c", ".h", ".py", ".md", ".txt", ".json", ".go", ".rs"]
# Fixed identities and dates: the same seed and size give the same commit ids.
COMMITTER = "Tether Bench <bench@example.invalid>"
FIRST_DATE = "1700000000 +0000"
SECOND_DATE = "1700003600 +0000"


@dataclasses.dataclass
class SyntheticRepo:
    path: Path
    first: str            # commit id on main after generation
    second: str           # the 10-file commit (child of first), on NEXT_REF
    files_first: int      # files in `first`
    files_second: int     # files in `second`
    build_s: float        # generation time


class ContentMaker:
    """Seeded pseudo-random file contents that look vaguely like source text.

    Text is made of lines of words drawn from a seeded vocabulary, so that
    files differ from one another (no accidental dedup or trivial deltas)
    while generation stays fast (random.choices does the bulk of the work).
    """

    def __init__(self, rng: random.Random):
        self.rng = rng
        letters = "abcdefghijklmnopqrstuvwxyz_"
        self.vocab = ["".join(rng.choices(letters, k=rng.randint(2, 10)))
                      for _ in range(4000)]
        self.vocab += ["{", "}", "(", ")", "=", "+", "return", "if", "for", "0", "1"]

    def text(self, header: str) -> bytes:
        rng = self.rng
        # Mostly a few hundred bytes to a couple of KB; a tail of larger files.
        target = rng.randint(200, 2500) if rng.random() < 0.9 else rng.randint(2500, 8000)
        words = rng.choices(self.vocab, k=max(8, target // 6))
        lines = [header]
        for j in range(0, len(words), 9):
            indent = "    " * rng.randint(0, 3)
            lines.append(indent + " ".join(words[j:j + 9]))
        return ("\n".join(lines) + "\n").encode()

    def script(self, header: str) -> bytes:
        return b"#!/bin/sh\n# " + header.encode() + b"\nset -eu\n" + self.text("# body")

    def binary(self) -> bytes:
        # Random bytes with NULs sprinkled in, so any "is it text?" check says no.
        data = bytearray(self.rng.randbytes(self.rng.randint(1024, 64 * 1024)))
        for k in range(0, len(data), 97):
            data[k] = 0
        return bytes(data)


def file_path(index: int, ext: str) -> str:
    """Nested layout: pkgNN/modN/partN/fileNNNNNN.ext, 100 files per leaf directory."""
    d = index // FILES_PER_DIR
    return f"pkg{d // 100:02d}/mod{(d // 10) % 10}/part{d % 10}/file{index:06d}{ext}"


class FastImportStream:
    """Writes a `git fast-import` command stream to a pipe."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.next_mark = 1

    def blob(self, data: bytes) -> int:
        mark = self.next_mark
        self.next_mark += 1
        self.pipe.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)))
        self.pipe.write(data)
        self.pipe.write(b"\n")
        return mark

    def commit(self, ref: str, date: str, message: str, parent: int | None,
               changes: list[tuple]) -> int:
        """changes: ("M", mode, blob_mark, path) or ("D", path)."""
        mark = self.next_mark
        self.next_mark += 1
        msg = message.encode()
        head = [b"commit %s\nmark :%d\ncommitter %s %s\ndata %d\n" % (
            ref.encode(), mark, COMMITTER.encode(), date.encode(), len(msg)), msg, b"\n"]
        if parent is not None:
            head.append(b"from :%d\n" % parent)
        self.pipe.write(b"".join(head))
        lines = []
        for ch in changes:
            if ch[0] == "M":
                lines.append(b"M %s :%d %s\n" % (ch[1].encode(), ch[2], ch[3].encode()))
            else:
                lines.append(b"D %s\n" % ch[1].encode())
        self.pipe.write(b"".join(lines))
        self.pipe.write(b"\n")
        return mark


def build_repo(path: Path, size: int, seed: int) -> SyntheticRepo:
    """Creates a bare repository at `path` with `size` files on main.

    Deterministic for a given (seed, size): same contents, same commit ids.
    """
    if size < 100:
        raise BenchError(f"size {size} is too small (need at least 100 files)")
    start = time.perf_counter()
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(path)],
                   check=True)

    rng = random.Random(f"tether-bench:{seed}:{size}")
    maker = ContentMaker(rng)

    # Decide what every file is: a few binaries and executables, the rest text.
    n_binary = max(3, size // 2000)
    n_exec = max(3, size // 1000)
    special = rng.sample(range(size), n_binary + n_exec)
    binary_idx = set(special[:n_binary])
    exec_idx = set(special[n_binary:])

    proc = subprocess.Popen(["git", "-C", str(path), "fast-import", "--quiet", "--done"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    stream = FastImportStream(proc.stdin)
    try:
        # --- commit 1: all files --------------------------------------------
        entries: dict[str, tuple[str, int]] = {}   # path -> (mode, blob mark)
        text_paths: list[str] = []
        for i in range(size):
            if i in binary_idx:
                p = file_path(i, ".bin")
                entries[p] = ("100644", stream.blob(maker.binary()))
            elif i in exec_idx:
                p = file_path(i, ".sh")
                entries[p] = ("100755", stream.blob(maker.script(p)))
            else:
                p = file_path(i, rng.choice(TEXT_EXTENSIONS))
                entries[p] = ("100644", stream.blob(maker.text(f"// {p}")))
                text_paths.append(p)
        first_mark = stream.commit(
            MAIN_REF, FIRST_DATE, f"synthetic repository, {size} files\n", None,
            [("M", mode, mark, p) for p, (mode, mark) in sorted(entries.items())])

        # --- commit 2: exactly 10 changes ---------------------------------------
        picked = rng.sample(text_paths, 8)
        modified, deleted = picked[:6], picked[6:]
        added = [
            file_path(rng.randrange(size), ".added.txt"),     # into an existing directory
            "pkg00/mod0/fresh/added_in_new_dir.md",            # into a new directory
        ]
        changes: list[tuple] = []
        for p in modified:
            # Same header, new body: a real content change, same path and mode.
            changes.append(("M", "100644", stream.blob(maker.text(f"// {p} (modified)")), p))
        for p in added:
            changes.append(("M", "100644", stream.blob(maker.text(f"// {p} (added)")), p))
        for p in deleted:
            changes.append(("D", p))
        stream.commit(NEXT_REF, SECOND_DATE, "change 10 files: 6 modified, 2 added, 2 deleted\n",
                      first_mark, changes)
        proc.stdin.write(b"done\n")
        proc.stdin.close()
    except BrokenPipeError:
        pass
    err = proc.stderr.read().decode("utf-8", "replace")
    if proc.wait() != 0:
        raise BenchError(f"git fast-import failed: {err.strip()}")

    first = git(path, "rev-parse", MAIN_REF).strip()
    second = git(path, "rev-parse", NEXT_REF).strip()
    return SyntheticRepo(path, first, second, count_files(path, first),
                         count_files(path, second), time.perf_counter() - start)


# --------------------------------------------------------------------------
# Baseline: what a simple shell-script sync would do
# --------------------------------------------------------------------------

BASELINE_SCHEMA = """
CREATE TABLE documents (
  path     TEXT PRIMARY KEY,
  blob_sha TEXT NOT NULL,
  mode     INTEGER NOT NULL,
  size     INTEGER NOT NULL,
  content  BLOB            -- TEXT when the blob is valid UTF-8 without NUL, else BLOB
)
"""


def baseline_worker(repo: Path, commit: str, db_path: Path) -> dict:
    """Loads every blob of `commit` into a fresh SQLite database, in one transaction.

    Runs in its own process (see run_baseline). Streams: ls-tree output is
    parsed into a list of small tuples, blob contents flow from cat-file
    straight into SQLite, never all held in memory at once.
    """
    t0 = time.perf_counter()
    listing = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "-l", "-z", commit],
                             capture_output=True, check=True).stdout
    entries = []   # (mode, sha, size, path)
    for rec in listing.split(b"\0"):
        if not rec:
            continue
        meta, path = rec.split(b"\t", 1)
        mode, otype, sha, size = meta.split()
        if otype != b"blob":
            continue   # submodules (commit entries) have no content to load
        entries.append((int(mode, 8), sha, int(size), path.decode("utf-8", "surrogateescape")))
    t_list = time.perf_counter()

    if db_path.exists():
        db_path.unlink()
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute(BASELINE_SCHEMA)

    cat = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           bufsize=1 << 20)

    def feed():
        # A separate thread writes requests, so neither side of the pipe blocks the other.
        try:
            for _, sha, _, _ in entries:
                cat.stdin.write(sha + b"\n")
            cat.stdin.close()
        except BrokenPipeError:
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()

    def rows() -> Iterator[tuple]:
        out = cat.stdout
        for mode, sha, _, path in entries:
            header = out.readline().split()
            if len(header) != 3 or header[0] != sha:
                raise RuntimeError(f"unexpected cat-file header {header!r} for {sha!r}")
            n = int(header[2])
            data = out.read(n)
            out.read(1)  # the newline after each object
            content: str | bytes = data
            if b"\0" not in data:
                try:
                    content = data.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            yield (path, sha.decode(), mode, n, content)

    db.execute("BEGIN")
    db.executemany("INSERT INTO documents(path, blob_sha, mode, size, content) "
                   "VALUES (?, ?, ?, ?, ?)", rows())
    db.execute("COMMIT")
    feeder.join()
    if cat.wait() != 0:
        raise RuntimeError("git cat-file failed")
    count = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    db.close()
    t_end = time.perf_counter()

    return {
        "documents": count,
        "list_ms": (t_list - t0) * 1000,
        "load_ms": (t_end - t_list) * 1000,
        "total_ms": (t_end - t0) * 1000,
        "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "children_maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


@dataclasses.dataclass
class Measurement:
    wall_s: float
    maxrss_kib: int
    engine_ms: float | None = None
    detail: dict | None = None


def run_baseline(repo: Path, commit: str, db_path: Path) -> Measurement:
    """Runs the baseline in a subprocess of this script; measures it like tether."""
    res = run_measured([sys.executable, str(Path(__file__).resolve()), "--baseline-worker",
                        "--repo", str(repo), "--commit", commit, "--db", str(db_path)])
    if res.returncode != 0:
        raise BenchError(f"baseline worker failed ({res.returncode}): {res.stderr.strip()}")
    detail = json.loads(res.stdout)
    return Measurement(res.wall_s, res.maxrss_kib, detail["total_ms"], detail)


# --------------------------------------------------------------------------
# Tether
# --------------------------------------------------------------------------

class Tether:
    """Drives the tether CLI for one benchmark project."""

    def __init__(self, binary: Path, rundir: Path):
        self.binary = binary
        self.rundir = rundir
        self.config = rundir / "tether.json"
        self.db = rundir / "tether.db"

    def _cli(self, *args: str) -> ChildResult:
        return run_measured([str(self.binary), "--config", str(self.config), *args],
                            cwd=self.rundir)

    def _checked(self, *args: str) -> ChildResult:
        res = self._cli(*args)
        if res.returncode != 0:
            output = (res.stderr.strip() or res.stdout.strip() or "(no output)")[:2000]
            raise BenchError(f"tether {' '.join(args)} exited {res.returncode}: {output}")
        return res

    def setup(self, repo: Path) -> None:
        if self.rundir.exists():
            shutil.rmtree(self.rundir)
        self.rundir.mkdir(parents=True)
        self._checked("init", "--database", f"sqlite:{self.db}")
        self._checked("project", "add", PROJECT, "--provider", "local-git",
                      "--repo", repo.resolve().as_uri(), "--branch", "main")

    def analyze(self) -> ChildResult:
        return self._checked("analyze", PROJECT)

    def sync(self, analyze: bool) -> Measurement:
        res = self._cli("sync", PROJECT, "--json", *([] if analyze else ["--no-analyze"]))
        try:
            runs = json.loads(res.stdout)["runs"]
            run = next((r for r in runs if r.get("project") == PROJECT), runs[0])
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise BenchError(f"tether sync exited {res.returncode} without the expected JSON "
                             f"({e}):\nstdout: {res.stdout.strip()[:2000]}\n"
                             f"stderr: {res.stderr.strip()[:2000]}") from e
        if res.returncode != 0 or run.get("outcome") == "failed":
            raise BenchError(f"tether sync failed (exit {res.returncode}): "
                             f"{run.get('error') or res.stderr.strip()}")
        return Measurement(res.wall_s, res.maxrss_kib, float(run.get("total_ms", 0)), run)

    def document_count(self) -> int:
        """Documents of the bench project in tether's SQLite database."""
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            try:
                return db.execute(
                    "SELECT COUNT(*) FROM documents d JOIN projects p ON p.id = d.project_id "
                    "WHERE p.name = ?", (PROJECT,)).fetchone()[0]
            except sqlite3.OperationalError:
                # No projects table (schema changed?): count the whole table.
                return db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        finally:
            db.close()


# --------------------------------------------------------------------------
# Driver and report
# --------------------------------------------------------------------------

@dataclasses.dataclass
class SizeResult:
    size: int
    repo: SyntheticRepo
    baseline: dict[str, Measurement]
    tether: dict[str, Measurement]   # scenario key -> run; partial if tether failed
    mismatches: list[str]
    error: str | None = None           # why the tether runs stopped, if they did

    @property
    def tether_complete(self) -> bool:
        return all(key in self.tether for key, _ in SCENARIOS)


def bench_size(size: int, args, workdir: Path, log) -> SizeResult:
    repo = build_repo(workdir / f"repo-{size}.git", size, args.seed)
    log(f"[{size}] repository built in {repo.build_s:.1f} s: {repo.files_first} files, "
        f"main={repo.first[:12]} next={repo.second[:12]}")
    mismatches: list[str] = []
    if repo.files_first != size:
        mismatches.append(f"MISMATCH [{size}] generator: {repo.files_first} files, expected {size}")

    # Baseline: no incremental mode, so every scenario is a full reload into a fresh db.
    baseline: dict[str, Measurement] = {}
    for key, commit, expected in [("first", repo.first, repo.files_first),
                                  ("noop", repo.first, repo.files_first),
                                  ("incr", repo.second, repo.files_second)]:
        m = run_baseline(repo.path, commit, workdir / f"baseline-{size}.db")
        baseline[key] = m
        log(f"[{size}] baseline {key}: {m.wall_s:.2f} s, {m.maxrss_kib / 1024:.0f} MB")
        if m.detail["documents"] != expected:
            mismatches.append(f"MISMATCH [{size}] baseline {key}: {m.detail['documents']} "
                              f"documents, expected {expected}")

    result = SizeResult(size, repo, baseline, {}, mismatches)
    if args.baseline_only:
        return result
    # Tether: a failure here is kept on the result so the baseline rows still print.
    try:
        t = Tether(args.tether, workdir / f"tether-{size}")
        t.setup(repo.path)
        for key, label in SCENARIOS:
            if key == "incr":
                git(repo.path, "update-ref", MAIN_REF, repo.second, repo.first)
            if key == "noop":
                analysed = t.analyze()
                log(f"[{size}] tether analyze (untimed): {analysed.wall_s:.2f} s wall")
                # The first sync after `tether analyze` looks for work (its
                # last run did not analyse); from then on a noop run knows
                # from the one before that nothing is left.
                looked = t.sync(analyze=True)
                log(f"[{size}] tether no-op that looks for analysis work (untimed): "
                    f"{looked.engine_ms:.1f} ms engine, analyze {looked.detail['timings_ms'].get('analyze')} ms")
            m = t.sync(analyze=(key == "noop"))
            result.tether[key] = m
            log(f"[{size}] tether {key}: {m.wall_s:.3f} s wall, {m.engine_ms:.1f} ms engine, "
                f"{m.maxrss_kib / 1024:.0f} MB, mode={m.detail.get('mode')}")
            mismatches += check_tether_run(size, key, label, m.detail, t, repo)
    except (BenchError, sqlite3.Error) as e:
        result.error = f"[{size}] {e}"
        log(f"error: {result.error}")
    return result


def check_tether_run(size, key, label, run: dict, t: Tether, repo: SyntheticRepo) -> list[str]:
    """Correctness checks for one tether sync; returns MISMATCH lines."""
    out = []

    def expect(what, got, want):
        if got != want:
            out.append(f"MISMATCH [{size}] {label}: {what} = {got!r}, expected {want!r}")

    if key == "first":
        expect("outcome", run.get("outcome"), "succeeded")
        expect("mode", run.get("mode"), "full")
        expect("to_commit", run.get("to_commit"), repo.first)
        expect("documents in db", t.document_count(), repo.files_first)
    elif key == "noop":
        expect("outcome", run.get("outcome"), "noop")
        expect("mode", run.get("mode"), "noop")
        for f in ("files_added", "files_modified", "files_deleted", "files_renamed"):
            expect(f, run.get(f), 0)
    else:
        expect("outcome", run.get("outcome"), "succeeded")
        expect("mode", run.get("mode"), "incremental")
        expect("from_commit", run.get("from_commit"), repo.first)
        expect("to_commit", run.get("to_commit"), repo.second)
        expect("files_added", run.get("files_added"), 2)
        expect("files_modified", run.get("files_modified"), 6)
        expect("files_deleted", run.get("files_deleted"), 2)
        expect("files_renamed", run.get("files_renamed"), 0)
        expect("documents in db", t.document_count(), repo.files_second)
    return out


def mb(kib: int) -> float:
    return kib / 1024.0


def render(results: list[SizeResult], baseline_only: bool) -> str:
    """The report: one table, per-phase timings, targets, mismatches."""
    lines = []
    header = (f"{'size':>7}  {'scenario':<15} {'baseline s':>10} {'tether s':>9} "
              f"{'engine ms':>10} {'ratio':>7}  {'peak RSS MB base/tether':>23}")
    lines += [header, "-" * len(header)]
    for r in results:
        for key, label in SCENARIOS:
            b = r.baseline[key]
            tm = r.tether.get(key)
            if tm:
                tether_s, engine = f"{tm.wall_s:9.3f}", f"{tm.engine_ms:10.1f}"
                ratio = f"{tm.wall_s / b.wall_s:6.3f}x"
                rss = f"{mb(b.maxrss_kib):.0f} / {mb(tm.maxrss_kib):.0f}"
            else:
                tether_s, engine, ratio = f"{'-':>9}", f"{'-':>10}", f"{'-':>7}"
                rss = f"{mb(b.maxrss_kib):.0f} / -"
            lines.append(f"{r.size:>7}  {label:<15} {b.wall_s:10.3f} {tether_s} "
                         f"{engine} {ratio}  {rss:>23}")
    lines.append("ratio = tether wall / baseline wall (lower is better). The baseline has no "
                 "incremental mode: every scenario reloads the whole commit into a fresh db.")

    if not baseline_only:
        phases = ("discover", "resolve", "diff", "write", "analyze", "finalize")
        lines += ["", f"tether phases (ms)       " + " ".join(f"{p:>9}" for p in phases)]
        for r in results:
            for key, label in SCENARIOS:
                if key not in r.tether:
                    continue
                ph = r.tether[key].detail.get("timings_ms") or {}
                vals = " ".join(f"{ph[p]:9.1f}" if isinstance(ph.get(p), (int, float))
                                else f"{'-':>9}" for p in phases)
                lines.append(f"{r.size:>7}  {label:<15} {vals}")
        lines += ["", "targets"]
        lines += evaluate_targets(results)

    mism = [m for r in results for m in r.mismatches]
    lines += ["", "correctness: " + ("all checks passed" if not mism else f"{len(mism)} mismatch(es)")]
    lines += mism
    errors = [r.error for r in results if r.error]
    if errors:
        lines += ["", "could not run:"] + [f"  {e}" for e in errors]
    return "\n".join(lines)


def evaluate_targets(all_results: list[SizeResult]) -> list[str]:
    results = [r for r in all_results if r.tether_complete]
    if not results:
        return ["  (no complete tether results)"]
    out = []

    def verdict(ok: bool, text: str):
        out.append(f"  {'PASS' if ok else 'MISS'}  {text}")

    for r in results:
        b, t = r.baseline["first"], r.tether["first"]
        verdict(t.wall_s <= b.wall_s,
                f"[{r.size}] first sync no slower than baseline: "
                f"tether {t.wall_s:.3f} s vs baseline {b.wall_s:.3f} s")
    for r in results:
        e = r.tether["noop"].engine_ms
        verdict(e < TARGET_NOOP_MS,
                f"[{r.size}] no-op resync under {TARGET_NOOP_MS:.0f} ms engine time: {e:.1f} ms")
    # The 10-file target is stated for 100k files; use the largest size run otherwise.
    r = next((x for x in results if x.size == TARGET_INCR_SIZE), max(results, key=lambda x: x.size))
    note = "" if r.size == TARGET_INCR_SIZE else f" (100000 not run; evaluated on {r.size})"
    first, incr = r.tether["first"].engine_ms, r.tether["incr"].engine_ms
    frac = incr / first if first else float("inf")
    verdict(frac < TARGET_INCR_FRACTION,
            f"[{r.size}] 10-file resync under {TARGET_INCR_FRACTION:.0%} of first sync: "
            f"{incr:.1f} ms / {first:.1f} ms engine = {frac:.2%} "
            f"(wall {r.tether['incr'].wall_s:.3f} s / {r.tether['first'].wall_s:.3f} s){note}")
    for r in results:
        peak = max(m.maxrss_kib for m in r.tether.values())
        verdict(mb(peak) < TARGET_RSS_MB,
                f"[{r.size}] tether peak RSS under {TARGET_RSS_MB:.0f} MB: {mb(peak):.0f} MB")
    return out


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000",
                    help="comma-separated repository sizes in files (default: %(default)s)")
    ap.add_argument("--tether", type=Path, default=DEFAULT_TETHER,
                    help="path to the tether binary (default: build/bin/tether in the repo)")
    ap.add_argument("--workdir", type=Path,
                    help="where repos and databases go (default: a temp dir, removed afterwards)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default: %(default)s)")
    ap.add_argument("--baseline-only", action="store_true",
                    help="build the repositories and run only the baseline")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    # Internal: the baseline runs in a subprocess so its RSS is measured like tether's.
    ap.add_argument("--baseline-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--repo", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--commit", help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.baseline_worker:
        print(json.dumps(baseline_worker(args.repo, args.commit, args.db)))
        return 0

    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        print(f"error: --sizes must be comma-separated integers, got {args.sizes!r}", file=sys.stderr)
        return 2
    if not sizes:
        print("error: --sizes is empty", file=sys.stderr)
        return 2
    if shutil.which("git") is None:
        print("error: git not found on PATH", file=sys.stderr)
        return 2
    if not args.baseline_only:
        args.tether = args.tether.resolve()
        if not os.access(args.tether, os.X_OK):
            print(f"error: tether binary not found or not executable: {args.tether}\n"
                  f"       build it (cmake --build build), pass --tether PATH, "
                  f"or use --baseline-only", file=sys.stderr)
            return 2

    log = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    if args.workdir:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        remove = False
    else:
        workdir = Path(tempfile.mkdtemp(prefix="tether-bench-"))
        remove = not args.keep

    results = []
    status = 0
    try:
        for size in sizes:
            results.append(bench_size(size, args, workdir, log))
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        status = 1
    except (subprocess.CalledProcessError, OSError, sqlite3.Error) as e:
        print(f"error: {e}", file=sys.stderr)
        status = 1
    finally:
        if remove:
            shutil.rmtree(workdir, ignore_errors=True)
        elif not args.quiet:
            log(f"work directory kept: {workdir}")

    if results:
        print(render(results, args.baseline_only))
    if any(r.error for r in results):
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
