#!/usr/bin/env python3
"""Tether sync benchmark: the baseline, the limit and Tether, side by side, as whole processes.

Issue 15's bench. For each repository -- synthetic ones of --sizes files
with --refs extra packed refs, and a real history (--history: git.git's
mirror when present, else one built deterministically) -- it prints one
table with four scenarios:

  first sync        on a fresh database (restored from a saved copy each run)
  no-op             nothing changed since the last sync
  10-file change    main moved to a child commit: 6 modified, 2 added, 2 deleted
  200-commit step   main moved --steps first-parent commits forward

and for each: the baseline (a naive script that reloads every blob into
SQLite), the limit (what git and SQLite need at least), Tether's min and
median wall time over --runs whole processes, its peak RSS (ru_maxrss from
wait4), the issue's targets and PASS / MISS. The config has no analyzers
and syncs run with --no-analyze: the copy is measured (analyze_bench.py
measures the analysis).

A report, not a test: exit 0 when the report was printed (even with MISS or
MISMATCH lines), 1 when something could not run (the rest is still
printed), 2 on bad usage. Python 3.11 standard library and git only. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TETHER = REPO_ROOT / "build" / "bin" / "tether"
GIT_GIT = Path("/work/bench-repos/git.git")

PROJECT = "bench"
MAIN_REF = "refs/heads/main"
NEXT_REF = "refs/bench/next"   # the 10-file change, a child of main's commit
STEP_REF = "refs/bench/step"   # synthetic: the end of the 200-commit step

# Targets (issue 15; README.md).
TARGET_FIRST_LIMIT = 1.2       # first sync / the limit
TARGET_FIRST_RSS_MB = 100.0
TARGET_NOOP_MS = 20.0          # whole process, median
TARGET_NOOP_RSS_MB = 40.0
TARGET_STEP_FRACTION = 0.25    # step / first sync, medians; and its RSS below the first sync's

SCENARIOS = [("first", "first sync"), ("noop", "no-op"), ("change", "10-file change"),
             ("step", "step")]


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


def run_measured(cmd: list[str], cwd: Path | None = None, stdin_path: Path | None = None,
                 discard: bool = False) -> ChildResult:
    """Runs `cmd` to completion; returns wall time and peak RSS via os.wait4.

    Output goes to temporary files (or /dev/null with `discard`) rather than
    pipes, so that we can reap the child ourselves with wait4 (Popen.wait
    would discard the rusage) without risking a pipe deadlock.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            open(stdin_path or os.devnull, "rb") as stdin:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, stdin=stdin,
                                    stdout=subprocess.DEVNULL if discard else out, stderr=err)
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
    proc = subprocess.run(["git", "-C", str(repo), *args], input=input_bytes, capture_output=True)
    if proc.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed: "
                         f"{proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8", "replace")


def git_lines(repo: Path, *args: str) -> Iterator[bytes]:
    """A git command's output, line by line, never held whole (1,000,000-file trees)."""
    with subprocess.Popen(["git", "-C", str(repo), *args], stdout=subprocess.PIPE) as proc:
        yield from proc.stdout
    if proc.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed ({proc.returncode})")


def count_files(repo: Path, commit: str) -> int:
    """Number of files (blobs, recursively) in `commit`: `git ls-tree -r --name-only | wc -l`."""
    return sum(1 for _ in git_lines(repo, "ls-tree", "-r", "--name-only", commit))


def write_ids(ids: Iterable[bytes], path: Path) -> int:
    """Writes blob ids one a line, the input of `git cat-file --batch`; returns how many."""
    n = 0
    with open(path, "wb") as f:
        for sha in ids:
            f.write(sha + b"\n")
            n += 1
    return n


def tree_blobs(repo: Path, commit: str) -> Iterator[bytes]:
    for line in git_lines(repo, "ls-tree", "-r", commit):
        _, otype, sha = line.split(b"\t", 1)[0].split()
        if otype == b"blob":
            yield sha


def changed_blobs(repo: Path, frm: str, to: str) -> Iterator[bytes]:
    """The new blobs between two commits (added or modified), as a sync must read them."""
    for line in git_lines(repo, "diff-tree", "-r", "--no-renames", frm, to):
        _, new_mode, _, new_sha, status = line.split(b"\t", 1)[0].split()
        if status in (b"A", b"M", b"T") and new_mode != b"160000":
            yield new_sha


# --------------------------------------------------------------------------
# Repositories, written with git fast-import
# --------------------------------------------------------------------------

FILES_PER_DIR = 100
TEXT_EXTENSIONS = [".c", ".h", ".py", ".md", ".txt", ".json", ".go", ".rs"]
BINARY, SCRIPT = len(TEXT_EXTENSIONS), len(TEXT_EXTENSIONS) + 1   # file kinds beside the texts
COMMITTER = "Tether Bench <bench@example.invalid>"   # fixed identity and dates: fixed commit ids
FIRST_DATE = 1_700_000_000


class ContentMaker:
    """Seeded pseudo-random file contents that look vaguely like source text.

    Text is made of lines of words drawn from a seeded vocabulary, so that
    files differ from one another (no accidental dedup or trivial deltas)
    while generation stays fast (random.choices does the bulk of the work).
    """

    def __init__(self, rng: random.Random):
        self.rng = rng
        letters = "abcdefghijklmnopqrstuvwxyz_"
        self.vocab = ["".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(4000)]
        self.vocab += ["{", "}", "(", ")", "=", "+", "return", "if", "for", "0", "1"]

    def text(self, header: str) -> bytes:
        rng = self.rng
        # Mostly a few hundred bytes to a couple of KB; a tail of larger files.
        target = rng.randint(200, 2500) if rng.random() < 0.9 else rng.randint(2500, 8000)
        words = rng.choices(self.vocab, k=max(8, target // 6))
        lines = [header]
        for j in range(0, len(words), 9):
            lines.append("    " * rng.randint(0, 3) + " ".join(words[j:j + 9]))
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


class FastImport:
    """A `git fast-import` process in `repo`, fed as we go (nothing is held)."""

    def __init__(self, repo: Path):
        self.proc = subprocess.Popen(["git", "-C", str(repo), "fast-import", "--quiet", "--done"],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.out = self.proc.stdin
        self.mark = 0

    def blob(self, data: bytes) -> str:
        self.mark += 1
        self.out.write(b"blob\nmark :%d\ndata %d\n%s\n" % (self.mark, len(data), data))
        return f":{self.mark}"

    def commit(self, ref: str, when: int, message: str, parents: list[str],
               changes: Iterable[tuple]) -> str:
        """parents: marks (":N") or commit ids; changes: ("M", mode, blob, path) or ("D", path)."""
        self.mark += 1
        msg = message.encode()
        self.out.write(b"commit %s\nmark :%d\ncommitter %s %d +0000\ndata %d\n%s\n" % (
            ref.encode(), self.mark, COMMITTER.encode(), when, len(msg), msg))
        for i, parent in enumerate(parents):
            self.out.write(b"%s %s\n" % (b"merge" if i else b"from", parent.encode()))
        for ch in changes:
            if ch[0] == "M":
                self.out.write(f"M {ch[1]} {ch[2]} {ch[3]}\n".encode())
            else:
                self.out.write(f"D {ch[1]}\n".encode())
        self.out.write(b"\n")
        return f":{self.mark}"

    def close(self) -> None:
        try:
            self.out.write(b"done\n")
            self.out.close()
        except BrokenPipeError:
            pass
        err = self.proc.stderr.read().decode("utf-8", "replace")
        if self.proc.wait() != 0:
            raise BenchError(f"git fast-import failed: {err.strip()}")


def ten_file_change(fi: FastImport, maker: ContentMaker, parent: str, when: int,
                    paths: list[str]) -> None:
    """A commit on NEXT_REF: paths[:6] modified, paths[6:8] deleted, two files added (one
    beside paths[0], one in a new directory), all with unrelated content: no rename."""
    added = [os.path.join(os.path.dirname(paths[0]), "bench_added.txt"),
             "bench-fresh/added_in_new_dir.md"]
    changes = [("M", "100644", fi.blob(maker.text(f"// {p} (modified)")), p) for p in paths[:6]]
    changes += [("M", "100644", fi.blob(maker.text(f"// {p} (added)")), p) for p in added]
    changes += [("D", p) for p in paths[6:8]]
    fi.commit(NEXT_REF, when, "change 10 files: 6 modified, 2 added, 2 deleted\n", [parent], changes)


@dataclasses.dataclass
class BenchRepo:
    title: str
    path: Path
    first: str        # main's commit: the first sync and the no-op
    second: str       # the 10-file change, a child of `first`
    step_from: str    # the step moves main from step_from to step_to
    step_to: str
    build_s: float
    files_first: int = 0
    files_second: int = 0
    files_step: int = 0

    def count(self) -> None:
        self.files_first = count_files(self.path, self.first)
        self.files_second = count_files(self.path, self.second)
        self.files_step = count_files(self.path, self.step_to)


def new_bare(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(path)], check=True)


def add_refs(repo: Path, count: int) -> None:
    """`count` refs/pull/N/head at main's commit, all refs packed, as a GitHub mirror holds them."""
    if count:
        head = git(repo, "rev-parse", MAIN_REF).strip()
        lines = "".join(f"create refs/pull/{n}/head {head}\n" for n in range(1, count + 1))
        git(repo, "update-ref", "--stdin", input_bytes=lines.encode())
    git(repo, "pack-refs", "--all")


def build_repo(path: Path, size: int, seed: int, refs: int = 0, steps: int = 200) -> BenchRepo:
    """A bare repository of `size` files on main, the 10-file change on NEXT_REF, `steps`
    commits of 1-4 modified files each on top of main on STEP_REF, and `refs` packed refs.

    Deterministic for a given (seed, size, steps): the same contents, the same commit ids.
    Streams into fast-import, one byte a file kept (its kind), so 1,000,000 files fit.
    """
    if size < 100:
        raise BenchError(f"size {size} is too small (need at least 100 files)")
    start = time.perf_counter()
    new_bare(path)
    rng = random.Random(f"tether-bench:{seed}:{size}")
    maker = ContentMaker(rng)
    n_binary, n_script = max(3, size // 2000), max(3, size // 1000)
    special = rng.sample(range(size), n_binary + n_script)
    binary, script = set(special[:n_binary]), set(special[n_binary:])

    kinds = bytearray(size)   # file i: an index into TEXT_EXTENSIONS, BINARY or SCRIPT

    def path_of(i: int) -> str:
        k = kinds[i]
        return file_path(i, ".bin" if k == BINARY else ".sh" if k == SCRIPT else TEXT_EXTENSIONS[k])

    def texts(n: int) -> list[int]:
        picked: set[int] = set()
        while len(picked) < n:
            i = rng.randrange(size)
            if kinds[i] < BINARY:
                picked.add(i)
        return sorted(picked)

    fi = FastImport(path)
    try:
        for i in range(size):   # blob i is mark i + 1
            if i in binary:
                kinds[i] = BINARY
                fi.blob(maker.binary())
            elif i in script:
                kinds[i] = SCRIPT
                fi.blob(maker.script(path_of(i)))
            else:
                kinds[i] = rng.randrange(len(TEXT_EXTENSIONS))
                fi.blob(maker.text(f"// {path_of(i)}"))
        first = fi.commit(MAIN_REF, FIRST_DATE, f"synthetic repository, {size} files\n", [],
                          (("M", "100755" if kinds[i] == SCRIPT else "100644", f":{i + 1}", path_of(i))
                           for i in range(size)))
        ten_file_change(fi, maker, first, FIRST_DATE + 3600, [path_of(i) for i in texts(8)])
        tip = first
        for k in range(1, steps + 1):
            changes = [("M", "100644", fi.blob(maker.text(f"// {path_of(i)} (step {k})")), path_of(i))
                       for i in texts(rng.randint(1, 4))]
            tip = fi.commit(STEP_REF, FIRST_DATE + 600 * k, f"step {k}\n", [tip], changes)
    finally:
        fi.close()
    add_refs(path, refs)
    first_id = git(path, "rev-parse", MAIN_REF).strip()
    repo = BenchRepo(f"synthetic, {size:,} files", path, first_id,
                     git(path, "rev-parse", NEXT_REF).strip(), first_id,
                     git(path, "rev-parse", STEP_REF).strip() if steps else first_id, 0.0)
    repo.count()
    repo.build_s = time.perf_counter() - start
    return repo


def build_history(path: Path, seed: int, commits: int = 3000, files: int = 4000) -> None:
    """A deterministic history shaped like a project's: a main line and topic
    branches of 1-6 commits, forked up to 40 commits back and merged; text
    files that grow and change, a few commits dated before their parent."""
    new_bare(path)
    rng = random.Random(f"tether-resync:{seed}")
    maker = ContentMaker(rng)
    contents: dict[str, bytes] = {}
    fi = FastImport(path)

    def edit(n: int) -> list[tuple]:
        changes = []
        for p in rng.sample(sorted(contents), n):
            lines = contents[p].split(b"\n")
            at = rng.randrange(len(lines))
            contents[p] = b"\n".join(lines[:at] + [maker.text(p)[:rng.randrange(40, 2000)]] + lines[at + 1:])
            changes.append(("M", "100644", fi.blob(contents[p]), p))
        return changes

    try:
        when = 1_500_000_000
        initial = []
        for i in range(files):
            p = file_path(i, rng.choice(TEXT_EXTENSIONS))
            contents[p] = maker.text(f"// {p}")
            initial.append(("M", "100644", fi.blob(contents[p]), p))
        main_line = [fi.commit(MAIN_REF, when, "commit 1\n", [], initial)]
        made = 1
        while made < commits:
            when += rng.randrange(600, 20000)
            if rng.random() < 0.3 and len(main_line) > 2:
                tip = main_line[-1 - rng.randrange(min(40, len(main_line) - 1))]
                for _ in range(rng.randrange(1, 7)):
                    when += rng.randrange(60, 4000)
                    made += 1
                    tip = fi.commit("refs/heads/topic", when, f"commit {made}\n", [tip],
                                    edit(rng.randrange(1, 5)))
                when += rng.randrange(60, 4000)
                made += 1
                main_line.append(fi.commit(MAIN_REF, when, f"merge {made}\n", [main_line[-1], tip], []))
            else:
                skew = -rng.randrange(86400, 5 * 86400) if rng.random() < 0.01 else 0
                made += 1
                main_line.append(fi.commit(MAIN_REF, when + skew, f"commit {made}\n", [main_line[-1]],
                                           edit(rng.randrange(1, 4))))
    finally:
        fi.close()
    git(path, "update-ref", "-d", "refs/heads/topic")


def history_repo(source: Path | None, path: Path, steps: int, seed: int) -> BenchRepo:
    """The real-history repository: a bare --shared clone of `source` (never changed), else
    build_history's. The step is HEAD~steps..HEAD (first parent); the first sync and the
    no-op are of HEAD, the 10-file change a commit the bench adds on top of it."""
    start = time.perf_counter()
    if source is not None:
        if path.exists():
            shutil.rmtree(path)
        subprocess.run(["git", "clone", "--quiet", "--bare", "--shared", str(source), str(path)],
                       check=True)
        title = f"real history: {source}"
    else:
        build_history(path, seed)
        title = "real history: generated (3,000 commits, topic branches merged)"
    to = git(path, "rev-parse", "HEAD^{commit}").strip()
    frm = git(path, "rev-parse", f"{to}~{steps}").strip()
    candidates = sorted(line.split("\t", 1)[1] for line in git(path, "ls-tree", "-r", "-l", to).splitlines()
                        if line.startswith("100644 blob ") and "\"" not in line
                        and int(line.split("\t")[0].split()[3]) < 100_000)
    rng = random.Random(f"tether-history-change:{seed}")
    fi = FastImport(path)
    try:
        when = int(git(path, "log", "-1", "--format=%ct", to).strip()) + 3600
        ten_file_change(fi, ContentMaker(rng), to, when, rng.sample(candidates, 8))
    finally:
        fi.close()
    git(path, "update-ref", MAIN_REF, to)
    repo = BenchRepo(title, path, to, git(path, "rev-parse", NEXT_REF).strip(), frm, to, 0.0)
    repo.count()
    repo.build_s = time.perf_counter() - start
    return repo


# --------------------------------------------------------------------------
# Workers: the baseline, and the limit's insert alone (subprocesses of this script)
# --------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE documents (
  path     TEXT PRIMARY KEY,
  blob_sha TEXT NOT NULL,
  mode     INTEGER NOT NULL,
  size     INTEGER NOT NULL,
  content  BLOB            -- TEXT when the blob is valid UTF-8 without NUL, else BLOB
)
"""
# Tether's text index: a trigram FTS5 index (migration 0014), of rowids only since 0020.
FTS_SCHEMA = """
CREATE VIRTUAL TABLE documents_text USING fts5(content, content = 'documents',
                                               content_rowid = 'rowid', tokenize = 'trigram',
                                               detail = none);
CREATE TRIGGER documents_text_insert AFTER INSERT ON documents WHEN typeof(new.content) = 'text'
BEGIN INSERT INTO documents_text (rowid, content) VALUES (new.rowid, new.content); END;
"""


def read_rows(repo: Path, commit: str) -> Iterator[tuple]:
    """(path, blob id, mode, size, content) of every blob of `commit`:
    `git ls-tree -r -l` then one `git cat-file --batch`, streamed."""
    listing = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "-l", "-z", commit],
                             capture_output=True, check=True).stdout
    entries = []   # (mode, sha, path)
    for rec in listing.split(b"\0"):
        if rec:
            meta, path = rec.split(b"\t", 1)
            mode, otype, sha, _ = meta.split()
            if otype == b"blob":   # submodules (commit entries) have no content to load
                entries.append((int(mode, 8), sha, path.decode("utf-8", "surrogateescape")))
    del listing
    cat = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1 << 20)

    def feed():
        # A separate thread writes requests, so neither side of the pipe blocks the other.
        try:
            for _, sha, _ in entries:
                cat.stdin.write(sha + b"\n")
            cat.stdin.close()
        except BrokenPipeError:
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    out = cat.stdout
    for mode, sha, path in entries:
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
    feeder.join()
    if cat.wait() != 0:
        raise RuntimeError("git cat-file failed")


def worker(kind: str, repo: Path, commit: str, db_path: Path) -> dict:
    """kind "baseline": load every blob into a fresh SQLite database in one transaction,
    reading as it goes (the whole process is the figure). "insert" / "insert-fts": read
    every row into memory first, then time only the insert into a fresh database in one
    transaction (WAL, synchronous=NORMAL, as Tether opens SQLite), commit and close
    (the checkpoint) included; "insert-fts" with Tether's trigram index on the content."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    insert_ms = None
    if kind == "baseline":
        db = sqlite3.connect(db_path, isolation_level=None)
        db.execute(SCHEMA)
        db.execute("BEGIN")
        db.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?)", read_rows(repo, commit))
        db.execute("COMMIT")
        db.close()
    else:
        rows = list(read_rows(repo, commit))
        db = sqlite3.connect(db_path, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute(SCHEMA)
        if kind == "insert-fts":
            db.executescript(FTS_SCHEMA)
        start = time.perf_counter()
        db.execute("BEGIN")
        db.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?)", rows)
        db.execute("COMMIT")
        db.close()
        insert_ms = (time.perf_counter() - start) * 1000
    db = sqlite3.connect(db_path)
    count = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    db.close()
    return {"documents": count, "insert_ms": insert_ms}


@dataclasses.dataclass
class Measurement:
    wall_s: float
    maxrss_kib: int
    engine_ms: float | None = None
    detail: dict | None = None


def run_worker(kind: str, repo: Path, commit: str, db_path: Path) -> Measurement:
    """Runs a worker in a subprocess of this script, measured like Tether. For the insert
    alone, the figure is the insert's own time, not the process's."""
    res = run_measured([sys.executable, str(Path(__file__).resolve()), "--worker", kind,
                        "--repo", str(repo), "--commit", commit, "--db", str(db_path)])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    if res.returncode != 0:
        raise BenchError(f"{kind} worker failed ({res.returncode}): {res.stderr.strip()[-2000:]}")
    detail = json.loads(res.stdout)
    wall = detail["insert_ms"] / 1000 if detail["insert_ms"] is not None else res.wall_s
    return Measurement(wall, res.maxrss_kib, None, detail)


# --------------------------------------------------------------------------
# Tether
# --------------------------------------------------------------------------

class Tether:
    """One project "bench" on a database of its own in `rundir`, without analyzers."""

    def __init__(self, binary: Path, rundir: Path):
        self.binary, self.rundir = binary, rundir
        self.config, self.db = rundir / "tether.json", rundir / "tether.db"

    def cli(self, *args: str) -> ChildResult:
        return run_measured([str(self.binary), "--config", str(self.config), *args], cwd=self.rundir)

    def checked(self, *args: str) -> ChildResult:
        res = self.cli(*args)
        if res.returncode != 0:
            raise BenchError(f"tether {' '.join(args)} exited {res.returncode}: "
                             f"{(res.stderr.strip() or res.stdout.strip() or '(no output)')[:2000]}")
        return res

    def setup(self, repo: Path, database: str | None = None) -> None:
        if self.rundir.exists():
            shutil.rmtree(self.rundir)
        self.rundir.mkdir(parents=True)
        self.checked("init", "--database", database or f"sqlite:{self.db}")
        config = json.loads(self.config.read_text())
        config["plugins"] = [p for p in config["plugins"] if p.get("kind") != "analyzer"]
        self.config.write_text(json.dumps(config, indent=2))
        self.checked("project", "add", PROJECT, "--provider", "local-git",
                     "--repo", repo.resolve().as_uri(), "--branch", "main")

    def sync(self, analyze: bool = False) -> Measurement:
        res = self.cli("sync", PROJECT, "--json", *([] if analyze else ["--no-analyze"]))
        try:
            run = json.loads(res.stdout)["runs"][0]
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise BenchError(f"tether sync exited {res.returncode} without the expected JSON ({e}):\n"
                             f"stdout: {res.stdout.strip()[:2000]}\nstderr: {res.stderr.strip()[:2000]}")
        if res.returncode != 0 or run.get("outcome") == "failed":
            raise BenchError(f"tether sync failed (exit {res.returncode}): "
                             f"{run.get('error') or res.stderr.strip()[:2000]}")
        return Measurement(res.wall_s, res.maxrss_kib, float(run.get("total_ms") or 0), run)

    def _copy(self, src_base: Path, dst_base: Path) -> None:
        # No tether process runs now: the database file and its WAL are a consistent pair.
        for suffix in ("", "-wal", "-shm"):
            src, dst = Path(f"{src_base}{suffix}"), Path(f"{dst_base}{suffix}")
            if src.exists():
                shutil.copyfile(src, dst)
            else:
                dst.unlink(missing_ok=True)

    def save(self, name: str) -> Path:
        saved = self.rundir / name
        self._copy(self.db, saved)
        return saved

    def restore(self, saved: Path) -> None:
        self._copy(saved, self.db)

    def documents(self) -> int:
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        finally:
            db.close()


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

class Series(list):
    """Repeated measurements of one figure."""

    @property
    def min_ms(self) -> float:
        return min(m.wall_s for m in self) * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(m.wall_s for m in self) * 1000

    @property
    def rss_mb(self) -> float:
        return max(m.maxrss_kib for m in self) / 1024

    @property
    def engine_median(self) -> float:
        return statistics.median(m.engine_ms for m in self)


def repeat(fn, runs: int, say, label: str) -> Series:
    s = Series()
    for _ in range(runs):
        m = fn()
        if not isinstance(m, Measurement):
            if m.returncode != 0:
                raise BenchError(f"{label}: {' '.join(m.cmd)} exited {m.returncode}: {m.stderr.strip()[:500]}")
            m = Measurement(m.wall_s, m.maxrss_kib)
        s.append(m)
        say(f"{label}: {m.wall_s * 1000:.1f} ms, {m.maxrss_kib / 1024:.0f} MB")
    return s


@dataclasses.dataclass
class RepoResult:
    repo: BenchRepo
    baseline: Series | None = None
    read: Series | None = None     # the limit of the first sync: blob read alone
    insert: Series | None = None   # and insert alone
    insert_fts: Series | None = None
    text_index: Series | None = None   # a first sync without --no-analyze: it builds the text index
    floor: dict = dataclasses.field(default_factory=dict)    # scenario -> Series: its limit
    blobs: dict = dataclasses.field(default_factory=dict)    # scenario -> blobs the limit reads
    tether: dict = dataclasses.field(default_factory=dict)   # scenario -> Series
    mismatches: list = dataclasses.field(default_factory=list)
    error: str | None = None


def cat_file(repo: Path, ids: Path):
    return lambda: run_measured(["git", "-C", str(repo), "cat-file", "--batch", "--buffer"],
                                stdin_path=ids, discard=True)


def bench_repo(repo: BenchRepo, args, workdir: Path, log) -> RepoResult:
    r = RepoResult(repo)
    tag = repo.path.name.removesuffix(".git")
    runs, want = args.runs, args.scenarios
    say = lambda msg: log(f"[{tag}] {msg}")   # noqa: E731

    def expect(label: str, what: str, got, wanted) -> None:
        if got != wanted:
            r.mismatches.append(f"MISMATCH [{tag}] {label}: {what} = {got!r}, expected {wanted!r}")

    def set_main(commit: str) -> None:
        git(repo.path, "update-ref", MAIN_REF, commit)

    try:
        if "first" in want:
            db = workdir / f"{tag}-worker.db"
            r.baseline = repeat(lambda: run_worker("baseline", repo.path, repo.first, db), runs, say, "baseline")
            ids = workdir / f"{tag}-first.ids"
            r.blobs["first"] = write_ids(tree_blobs(repo.path, repo.first), ids)
            r.read = repeat(cat_file(repo.path, ids), runs, say, "limit: blob read alone")
            r.insert = repeat(lambda: run_worker("insert", repo.path, repo.first, db), runs, say,
                              "limit: insert alone")
            if args.fts:
                r.insert_fts = repeat(lambda: run_worker("insert-fts", repo.path, repo.first, db), 1, say,
                                      "insert alone with the trigram index")
            # They load blobs; a submodule (a gitlink) has no content to load.
            for m in r.baseline + r.insert:
                expect("baseline/insert", "rows", m.detail["documents"], r.blobs["first"])
        if args.baseline_only:
            return r

        t = Tether(args.tether, workdir / f"tether-{tag}")
        t.setup(repo.path)
        empty = t.save("empty.db")
        set_main(repo.first)

        def first():
            t.restore(empty)
            m = t.sync()
            expect("first sync", "outcome", m.detail.get("outcome"), "succeeded")
            expect("first sync", "mode", m.detail.get("mode"), "full")
            expect("first sync", "to_commit", m.detail.get("to_commit"), repo.first)
            expect("first sync", "documents in db", t.documents(), repo.files_first)
            return m

        r.tether["first"] = repeat(first, runs if "first" in want else 1, say, "tether first sync")
        at_first = t.save("at-first.db")
        if args.fts:
            def indexed():
                t.restore(empty)
                return t.sync(analyze=True)

            r.text_index = repeat(indexed, 1, say, "tether first sync without --no-analyze")
            t.restore(at_first)

        if "noop" in want:
            r.floor["noop"] = repeat(lambda: run_measured(["git", "-C", str(repo.path), "rev-parse", "main"]),
                                     runs, say, "limit: git rev-parse main")

            def noop():
                m = t.sync()
                expect("no-op", "outcome", m.detail.get("outcome"), "noop")
                expect("no-op", "mode", m.detail.get("mode"), "noop")
                for f in ("files_added", "files_modified", "files_deleted", "files_renamed"):
                    expect("no-op", f, m.detail.get(f), 0)
                return m

            r.tether["noop"] = repeat(noop, runs, say, "tether no-op")

        def moved(key: str, label: str, saved: Path, frm: str, to: str, files: int, counts: dict):
            """The limit (reading the new blobs) and Tether's sync from `frm` to `to`."""
            ids = workdir / f"{tag}-{key}.ids"
            r.blobs[key] = write_ids(changed_blobs(repo.path, frm, to), ids)
            r.floor[key] = repeat(cat_file(repo.path, ids), runs, say, f"limit: read {label}'s blobs")

            def one():
                t.restore(saved)
                set_main(to)
                try:
                    m = t.sync()
                finally:
                    set_main(repo.first)
                run = m.detail
                expect(label, "outcome", run.get("outcome"), "succeeded")
                expect(label, "mode", run.get("mode"), "incremental")
                expect(label, "from_commit", run.get("from_commit"), frm)
                expect(label, "to_commit", run.get("to_commit"), to)
                for f, n in counts.items():
                    expect(label, f, run.get(f), n)
                expect(label, "documents in db", t.documents(), files)
                return m

            r.tether[key] = repeat(one, runs, say, f"tether {label}")

        if "change" in want:
            moved("change", "10-file change", at_first, repo.first, repo.second, repo.files_second,
                  {"files_added": 2, "files_modified": 6, "files_deleted": 2, "files_renamed": 0})
        if "step" in want:
            at_from = at_first
            if repo.step_from != repo.first:
                t.restore(empty)
                set_main(repo.step_from)
                try:
                    t.sync()
                finally:
                    set_main(repo.first)
                at_from = t.save("at-step-from.db")
            moved("step", f"{args.steps}-commit step", at_from, repo.step_from, repo.step_to,
                  repo.files_step, {})
    except (BenchError, sqlite3.Error, subprocess.CalledProcessError, OSError) as e:
        r.error = f"[{tag}] {e}"
        log(f"error: {r.error}")
    return r


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def fmt(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms:.1f}" if ms < 100 else f"{ms:,.0f}"


def mb(kib: int) -> float:
    return kib / 1024


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def render(r: RepoResult, args) -> list[str]:
    repo = r.repo
    pack_mb = sum(p.stat().st_size for p in (repo.path / "objects" / "pack").glob("*.pack")) / 1e6
    refs = sum(1 for _ in git_lines(repo.path, "for-each-ref", "--format=x"))
    out = [f"== {repo.title}: {repo.files_first:,} files at {repo.first[:12]}, {refs:,} refs, "
           f"{pack_mb:,.0f} MB of pack; built in {repo.build_s:.1f} s; --runs {args.runs} ==",
           f"  {'scenario':<20} {'baseline':>9} {'limit':>9} {'tether min':>10} {'median':>9} "
           f"{'ratio':>12} {'target':>8} {'':4}  {'RSS MB':>7} {'target':>7} {'':4}"]
    first = r.tether.get("first")
    labels = dict(SCENARIOS, step=f"{args.steps}-commit step")
    for key, _ in SCENARIOS:
        t = r.tether.get(key)
        if key == "first" and r.read and r.insert:
            limit = max(r.read.median_ms, r.insert.median_ms)
        else:
            limit = r.floor[key].median_ms if key in r.floor else None
        if t is None and (key != "first" or r.baseline is None):
            continue
        ratio = target = ok = rss_target = rss_ok = ""
        if t is not None:
            if key == "first" and limit:
                x = t.median_ms / limit
                ratio, target, ok = f"{x:.2f}x limit", f"<={TARGET_FIRST_LIMIT}x", verdict(x <= TARGET_FIRST_LIMIT)
                rss_target, rss_ok = f"<{TARGET_FIRST_RSS_MB:.0f}", verdict(t.rss_mb < TARGET_FIRST_RSS_MB)
            elif key == "noop":
                target, ok = f"<{TARGET_NOOP_MS:.0f} ms", verdict(t.median_ms < TARGET_NOOP_MS)
                rss_target, rss_ok = f"<{TARGET_NOOP_RSS_MB:.0f}", verdict(t.rss_mb < TARGET_NOOP_RSS_MB)
            elif key in ("change", "step") and first is not None and "first" in args.scenarios:
                x = t.median_ms / first.median_ms
                ratio = f"{x:.1%} first" if x >= 0.1 else f"{x:.2%} first"
                if key == "step":
                    target, ok = f"<{TARGET_STEP_FRACTION:.0%}", verdict(x < TARGET_STEP_FRACTION)
                    rss_target, rss_ok = f"<{first.rss_mb:.0f}", verdict(t.rss_mb < first.rss_mb)
        out.append(f"  {labels[key]:<20} {fmt(r.baseline.median_ms if r.baseline else None):>9} "
                   f"{fmt(limit):>9} {fmt(t.min_ms if t else None):>10} {fmt(t.median_ms if t else None):>9} "
                   f"{ratio:>12} {target:>8} {ok:4}  {(f'{t.rss_mb:.1f}' if t else '-'):>7} "
                   f"{rss_target:>7} {rss_ok:4}")
    out.append("  ms, medians but for tether min. baseline: ls-tree + cat-file --batch into a fresh SQLite "
               "file, one transaction; it reloads everything in every scenario.")
    if r.baseline:
        out.append(f"  baseline: min {fmt(r.baseline.min_ms)} ms, peak RSS {r.baseline.rss_mb:.0f} MB "
                   f"(the worker and its git children)")
    if r.read and r.insert:
        s = r.read.median_ms + r.insert.median_ms
        line = (f"  limit of the first sync, the larger of: (i) blob read alone, cat-file --batch of its "
                f"{r.blobs['first']:,} blobs to /dev/null: {fmt(r.read.median_ms)} ms (min {fmt(r.read.min_ms)}), "
                f"{r.read.rss_mb:.0f} MB; (ii) insert alone, the same rows from memory into SQLite: "
                f"{fmt(r.insert.median_ms)} ms (min {fmt(r.insert.min_ms)}); sum {fmt(s)} ms")
        if first:
            line += f", tether = {first.median_ms / s:.2f}x the sum, {first.median_ms / r.baseline.median_ms:.2f}x the baseline"
        out.append(line)
    if r.insert_fts:
        out.append(f"  insert alone with Tether's trigram FTS5 index on the content (once): "
                   f"{fmt(r.insert_fts.median_ms)} ms")
    if r.text_index:
        m = r.text_index[0]
        out.append(f"  tether first sync without --no-analyze, which builds the text index in its analyze phase "
                   f"(no analyzers), once: {fmt(m.wall_s * 1000)} ms (analyze phase "
                   f"{fmt((m.detail.get('timings_ms') or {}).get('analyze'))} ms), {mb(m.maxrss_kib):.0f} MB")
    if "noop" in r.floor:
        out.append(f"  limit of the no-op: git rev-parse main ({r.floor['noop'].rss_mb:.0f} MB reads as this "
                   f"script's own RSS: ru_maxrss counts the child before its exec)")
    for key in ("change", "step"):
        if key in r.floor:
            out.append(f"  limit of the {labels[key]}: cat-file --batch of its {r.blobs[key]:,} new blobs")
    if "step" in r.tether:
        run = r.tether["step"][-1].detail
        commits = git(repo.path, "rev-list", "--count", f"{repo.step_from}..{repo.step_to}").strip()
        out.append(f"  step {repo.step_from[:12]}..{repo.step_to[:12]}: {commits} commits ({args.steps} first-parent), "
                   f"{run.get('files_added')} added, {run.get('files_modified')} modified, "
                   f"{run.get('files_deleted')} deleted, {run.get('files_renamed')} renamed, "
                   f"{(run.get('bytes_read') or 0) / 1e6:.1f} MB read; {repo.files_step:,} files at the new head")
    for key, _ in SCENARIOS:
        if key in r.tether:
            s = r.tether[key]
            phases = s[-1].detail.get("timings_ms") or {}
            ph = ", ".join(f"{k} {v:.1f}" for k, v in phases.items() if isinstance(v, (int, float)))
            out.append(f"  tether {labels[key]}: total_ms median {s.engine_median:.1f}; last run's phases: {ph}")
    out += r.mismatches
    return out


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000",
                    help="synthetic repository sizes in files, comma-separated; '' for none (default: %(default)s)")
    ap.add_argument("--refs", type=int, default=20_000,
                    help="extra refs/pull/N/head in each synthetic repository, packed (default: %(default)s)")
    ap.add_argument("--history", default="auto",
                    help="the real-history repository: a path (cloned, never changed), 'auto' (git.git's "
                         f"mirror at {GIT_GIT} when present, else one built) or 'none'")
    ap.add_argument("--steps", type=int, default=200, help="commits of the step (default: %(default)s)")
    ap.add_argument("--runs", type=int, default=3, help="processes per figure (default: %(default)s)")
    ap.add_argument("--scenarios", default="first,noop,change,step",
                    help="which to measure (default: all); a first sync always runs once")
    ap.add_argument("--fts", action="store_true",
                    help="also time, once per repository, the insert alone with Tether's trigram index, "
                         "and a first sync without --no-analyze (it builds the text index)")
    ap.add_argument("--tether", type=Path, default=DEFAULT_TETHER,
                    help="the tether binary (default: build/bin/tether in the repository)")
    ap.add_argument("--workdir", type=Path, help="where repositories and databases go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary work directory")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default: %(default)s)")
    ap.add_argument("--baseline-only", action="store_true",
                    help="build the repositories and run only the baseline and the limit")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    # Internal: the workers run in subprocesses so that they are measured like tether.
    ap.add_argument("--worker", choices=["baseline", "insert", "insert-fts"], help=argparse.SUPPRESS)
    ap.add_argument("--repo", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--commit", help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.repo, args.commit, args.db)))
        return 0

    def usage(msg: str) -> int:
        print(f"error: {msg}", file=sys.stderr)
        return 2

    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        return usage(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    args.scenarios = set(args.scenarios.split(","))
    if not args.scenarios <= {k for k, _ in SCENARIOS} or args.runs < 1:
        return usage("--scenarios takes first,noop,change,step; --runs at least 1")
    history = None if args.history == "none" else (
        (GIT_GIT if GIT_GIT.is_dir() else None) if args.history == "auto" else Path(args.history))
    if shutil.which("git") is None:
        return usage("git not found on PATH")
    if not args.baseline_only:
        args.tether = args.tether.resolve()
        if not os.access(args.tether, os.X_OK):
            return usage(f"tether binary not found or not executable: {args.tether}\n"
                         f"       build it (cmake --build build), pass --tether PATH, or use --baseline-only")

    log = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    if args.workdir:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="tether-bench-"))
    builds = [(f"{size:,} files", build_repo, (workdir / f"synthetic-{size}.git", size, args.seed,
                                                args.refs, args.steps)) for size in sizes]
    if args.history != "none":
        builds.append(("the real history", history_repo, (history, workdir / "history.git", args.steps,
                                                          args.seed)))
    status, report = 0, []
    try:
        for what, build, build_args in builds:
            log(f"building {what}")
            try:
                # In a child process: whatever the generator holds would otherwise stay in this
                # script's RSS, which every child's ru_maxrss counts (before its exec).
                with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
                    repo = pool.submit(build, *build_args).result()
            except (BenchError, subprocess.CalledProcessError, OSError) as e:
                report += [f"could not build {what}: {e}", ""]
                status = 1
                continue
            log(f"built {repo.title} in {repo.build_s:.1f} s: {repo.files_first} files")
            result = bench_repo(repo, args, workdir, log)
            report += render(result, args) + ([f"could not run: {result.error}"] if result.error else []) + [""]
            status = status or (1 if result.error else 0)
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"work directory kept: {workdir}")
    report.append(f"this script's own peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
                  f"(a floor under every child's figure: ru_maxrss counts a child before its exec)")
    print("\n".join(report))
    return status


if __name__ == "__main__":
    sys.exit(main())
