#!/usr/bin/env python3
"""Tether resync benchmark: a no-op resync and a large incremental step, as whole processes.

Two measurements (issue 15, sections 1 and 2), each a whole `tether sync`
process, repeated, min and median, printed beside a git baseline and the
target:

  (a) no-op resync on a synthetic repository (sync_bench.py's generator,
      --files files) with --refs extra refs refs/pull/N/head, packed as a
      mirror of a GitHub repository packs them. Baseline: `git rev-parse
      main`. Target: under 20 ms for the whole process.
  (b) the step: a real-history repository's branch moved --steps commits
      forward (first parent), against the first sync of the same commit on a
      fresh database. Baseline: `git diff --stat FROM TO`. Targets: the step
      under 25% of the first sync's time, its peak RSS below the first
      sync's. The repository is --repo, else /work/bench-repos/git.git when
      present, else one this script builds deterministically with `git
      fast-import` (a main line with topic branches merged into it).

The config has no analyzers (a sync's copy is measured; analyze_bench.py
measures the analysis). Python 3.11 standard library and git only. A
report, not a test: exit 0 when the figures were printed (even with MISS or
MISMATCH lines), 1 when something could not run, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync_bench  # noqa: E402  (the generator, run_measured, git)
from sync_bench import BenchError, run_measured, git  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TETHER = REPO_ROOT / "build" / "bin" / "tether"
GIT_GIT = Path("/work/bench-repos/git.git")
PROJECT = "bench"

TARGET_NOOP_MS = 20.0
TARGET_STEP_FRACTION = 0.25


def mb(kib: int) -> float:
    return kib / 1024.0


class Tether:
    """One project "bench" on a SQLite database in `rundir`, without analyzers."""

    def __init__(self, binary: Path, rundir: Path):
        self.binary, self.rundir = binary, rundir
        self.config, self.db = rundir / "tether.json", rundir / "tether.db"

    def cli(self, *args: str):
        return run_measured([str(self.binary), "--config", str(self.config), *args], cwd=self.rundir)

    def checked(self, *args: str):
        res = self.cli(*args)
        if res.returncode != 0:
            raise BenchError(f"tether {' '.join(args)} exited {res.returncode}: "
                             f"{(res.stderr.strip() or res.stdout.strip())[:2000]}")
        return res

    def setup(self, repo: Path) -> None:
        if self.rundir.exists():
            shutil.rmtree(self.rundir)
        self.rundir.mkdir(parents=True)
        self.checked("init", "--database", f"sqlite:{self.db}")
        config = json.loads(self.config.read_text())
        config["plugins"] = [p for p in config["plugins"] if p.get("kind") != "analyzer"]
        self.config.write_text(json.dumps(config, indent=2))
        self.checked("project", "add", PROJECT, "--provider", "local-git",
                     "--repo", repo.resolve().as_uri(), "--branch", "main")

    def sync(self):
        res = self.checked("sync", PROJECT, "--json", "--no-analyze")
        try:
            run = json.loads(res.stdout)["runs"][0]
        except (ValueError, KeyError, IndexError) as e:
            raise BenchError(f"tether sync printed no run: {res.stdout[:500]}") from e
        return res, run

    def save(self, name: str) -> Path:
        # No tether process runs now: the database file and its WAL are a
        # consistent pair to copy.
        saved = self.rundir / name
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.db) + suffix)
            dst = Path(str(saved) + suffix)
            if src.exists():
                shutil.copyfile(src, dst)
            elif dst.exists():
                dst.unlink()
        return saved

    def restore(self, saved: Path) -> None:
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(saved) + suffix)
            dst = Path(str(self.db) + suffix)
            if src.exists():
                shutil.copyfile(src, dst)
            elif dst.exists():
                dst.unlink()

    def documents(self) -> int:
        import sqlite3
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]


def summary(walls: list[float], rss: list[int]) -> dict:
    return {"min_ms": min(walls) * 1000, "median_ms": statistics.median(walls) * 1000,
            "rss_mb": mb(max(rss)), "runs": len(walls)}


def measure(cmd_fn, runs: int) -> dict:
    walls, rss = [], []
    for _ in range(runs):
        res = cmd_fn()
        walls.append(res.wall_s)
        rss.append(res.maxrss_kib)
    return summary(walls, rss)


def row(label: str, s: dict) -> str:
    return f"  {label:<34} {s['min_ms']:9.1f} {s['median_ms']:9.1f} {s['rss_mb']:8.1f}   ({s['runs']} runs)"


# --------------------------------------------------------------------------
# (a) no-op with many refs
# --------------------------------------------------------------------------

def add_refs(repo: Path, count: int) -> None:
    head = git(repo, "rev-parse", "refs/heads/main").strip()
    lines = "".join(f"create refs/pull/{n}/head {head}\n" for n in range(1, count + 1))
    git(repo, "update-ref", "--stdin", input_bytes=lines.encode())
    git(repo, "pack-refs", "--all")


def bench_noop(args, workdir: Path, log) -> tuple[list[str], list[str]]:
    repo = workdir / f"noop-{args.files}.git"
    log(f"building {repo.name} ({args.files} files) and {args.refs} refs")
    sync_bench.build_repo(repo, args.files, args.seed)
    add_refs(repo, args.refs)
    refs = len(git(repo, "for-each-ref", "--format=%(refname)").splitlines())
    t = Tether(args.tether, workdir / "noop-run")
    t.setup(repo)
    _, first = t.sync()
    mismatches = []
    if first.get("outcome") != "succeeded":
        mismatches.append(f"MISMATCH no-op setup: first sync outcome {first.get('outcome')}")
    engine = []

    def one():
        res, run = t.sync()
        engine.append(run.get("total_ms") or 0.0)
        if run.get("outcome") != "noop":
            mismatches.append(f"MISMATCH no-op: outcome {run.get('outcome')}")
        return res

    base = measure(lambda: run_measured(["git", "-C", str(repo), "rev-parse", "main"]), args.runs)
    tether = measure(one, args.runs)
    lines = [f"(a) no-op resync: {args.files} files, {refs} refs (packed), SQLite",
             f"  {'':<34} {'min ms':>9} {'median ms':>9} {'RSS MB':>8}",
             row("baseline: git rev-parse main", base),
             row("tether sync (no-op)", tether),
             f"  tether's own total_ms: min {min(engine):.1f}, median {statistics.median(engine):.1f}"]
    verdict = "PASS" if tether["median_ms"] < TARGET_NOOP_MS else "MISS"
    targets = [f"{verdict} no-op resync under {TARGET_NOOP_MS:.0f} ms as a process: "
               f"median {tether['median_ms']:.1f} ms (min {tether['min_ms']:.1f}; "
               f"baseline {base['median_ms']:.1f} ms)"]
    return lines + mismatches, targets


# --------------------------------------------------------------------------
# (b) the step on a real history
# --------------------------------------------------------------------------

def build_history(path: Path, seed: int, commits: int = 3000, files: int = 4000) -> None:
    """A deterministic history shaped like a project's: a main line and topic
    branches of 1-6 commits, forked up to 40 commits back and merged; text
    files that grow and change, a few commits dated before their parent."""
    if path.exists():
        shutil.rmtree(path)
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(path)], check=True)
    rng = random.Random(f"tether-resync:{seed}")
    maker = sync_bench.ContentMaker(rng)
    proc = subprocess.Popen(["git", "-C", str(path), "fast-import", "--quiet", "--done"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    out = proc.stdin
    mark = [0]
    contents: dict[str, bytes] = {}

    def blob(data: bytes) -> int:
        mark[0] += 1
        out.write(b"blob\nmark :%d\ndata %d\n%s\n" % (mark[0], len(data), data))
        return mark[0]

    def commit(ref: str, when: int, parents: list[int], changes: list[tuple[str, int]]) -> int:
        mark[0] += 1
        msg = b"commit %d\n" % mark[0]
        out.write(b"commit %s\nmark :%d\ncommitter Bench <bench@tether.invalid> %d +0000\ndata %d\n%s"
                  % (ref.encode(), mark[0], when, len(msg), msg))
        if parents:
            out.write(b"from :%d\n" % parents[0])
            for p in parents[1:]:
                out.write(b"merge :%d\n" % p)
        for path_, m in changes:
            out.write(b"M 100644 :%d %s\n" % (m, path_.encode()))
        out.write(b"\n")
        return mark[0]

    def edit(n: int) -> list[tuple[str, int]]:
        changes = []
        for path_ in rng.sample(sorted(contents), n):
            old = contents[path_]
            lines = old.split(b"\n")
            at = rng.randrange(len(lines))
            new = b"\n".join(lines[:at] + [maker.text(path_)[:rng.randrange(40, 2000)]] + lines[at + 1:])
            contents[path_] = new
            changes.append((path_, blob(new)))
        return changes

    when = 1_500_000_000
    initial = []
    for i in range(files):
        p = sync_bench.file_path(i, rng.choice(sync_bench.TEXT_EXTENSIONS))
        contents[p] = maker.text(f"// {p}")
        initial.append((p, blob(contents[p])))
    main_line = [commit("refs/heads/main", when, [], initial)]
    made = 1
    while made < commits:
        when += rng.randrange(600, 20000)
        if rng.random() < 0.3 and len(main_line) > 2:
            base = main_line[-1 - rng.randrange(min(40, len(main_line) - 1))]
            tip = base
            for _ in range(rng.randrange(1, 7)):
                when += rng.randrange(60, 4000)
                tip = commit("refs/heads/topic", when, [tip], edit(rng.randrange(1, 5)))
                made += 1
            when += rng.randrange(60, 4000)
            main_line.append(commit("refs/heads/main", when, [main_line[-1], tip], []))
        else:
            skew = -rng.randrange(86400, 5 * 86400) if rng.random() < 0.01 else 0
            main_line.append(commit("refs/heads/main", when + skew, [main_line[-1]], edit(rng.randrange(1, 4))))
        made += 1
    out.write(b"done\n")
    out.close()
    err = proc.stderr.read().decode("utf-8", "replace")
    if proc.wait() != 0:
        raise BenchError(f"git fast-import failed: {err.strip()}")
    git(path, "update-ref", "-d", "refs/heads/topic")


def bench_step(args, workdir: Path, log) -> tuple[list[str], list[str]]:
    source = args.repo or (GIT_GIT if GIT_GIT.is_dir() else None)
    repo = workdir / "history.git"
    if source is not None:
        log(f"cloning {source} (bare, --shared: objects are read from the source)")
        if repo.exists():
            shutil.rmtree(repo)
        subprocess.run(["git", "clone", "--quiet", "--bare", "--shared", str(source), str(repo)], check=True)
        described = f"{source}"
    else:
        log("building a deterministic history (no --repo, no /work/bench-repos/git.git)")
        build_history(repo, args.seed)
        described = "a generated history (3,000 commits, topic branches merged)"
    to = git(repo, "rev-parse", "HEAD^{commit}").strip()
    frm = git(repo, "rev-parse", f"{to}~{args.steps}").strip()
    commits = git(repo, "rev-list", "--count", f"{frm}..{to}").strip()
    shortstat = git(repo, "diff", "--shortstat", frm, to).strip()
    files_at_to = len(git(repo, "ls-tree", "-r", "--name-only", to).splitlines())
    git(repo, "update-ref", "refs/heads/main", frm)

    t = Tether(args.tether, workdir / "step-run")
    t.setup(repo)
    empty = t.save("empty.db")
    t.sync()
    at_from = t.save("at-from.db")
    git(repo, "update-ref", "refs/heads/main", to)

    mismatches = []
    runs: dict[str, dict] = {}

    def first():
        t.restore(empty)
        res, run = t.sync()
        runs["first"] = run
        return res

    def step():
        t.restore(at_from)
        res, run = t.sync()
        runs["step"] = run
        if run.get("mode") != "incremental":
            mismatches.append(f"MISMATCH step: mode {run.get('mode')}, expected incremental")
        if t.documents() != files_at_to:
            mismatches.append(f"MISMATCH step: {t.documents()} rows, {files_at_to} files at {to[:12]}")
        return res

    base = measure(lambda: run_measured(["git", "-C", str(repo), "diff", "--stat", frm, to]), args.runs)
    first_s = measure(first, args.runs)
    step_s = measure(step, args.runs)
    if t.documents() != files_at_to:
        mismatches.append(f"MISMATCH: {t.documents()} rows after the step, {files_at_to} files")

    def phases(run: dict) -> str:
        return ", ".join(f"{k} {v:.0f}" for k, v in run["timings_ms"].items() if v is not None)

    s = runs["step"]
    lines = [f"(b) {args.steps}-commit step on {described}",
             f"  {frm[:12]}..{to[:12]}: {commits} commits, {shortstat}; {files_at_to} files at the new head",
             f"  {'':<34} {'min ms':>9} {'median ms':>9} {'RSS MB':>8}",
             row(f"baseline: git diff --stat", base),
             row("tether first sync (fresh database)", first_s),
             row(f"tether {args.steps}-commit step", step_s),
             f"  step: {s['files_added']} added, {s['files_modified']} modified, {s['files_deleted']} deleted, "
             f"{s['files_renamed']} renamed, {s['bytes_read'] / 1e6:.1f} MB read; phases ms: {phases(s)}",
             f"  first sync phases ms: {phases(runs['first'])}"]
    fraction = step_s["median_ms"] / first_s["median_ms"]
    targets = [
        f"{'PASS' if fraction < TARGET_STEP_FRACTION else 'MISS'} step under "
        f"{TARGET_STEP_FRACTION:.0%} of the first sync: {fraction:.0%} "
        f"(medians {step_s['median_ms']:.0f} / {first_s['median_ms']:.0f} ms)",
        f"{'PASS' if step_s['rss_mb'] < first_s['rss_mb'] else 'MISS'} step's peak RSS below the first sync's: "
        f"{step_s['rss_mb']:.1f} vs {first_s['rss_mb']:.1f} MB"]
    return lines + mismatches, targets


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tether", type=Path, default=DEFAULT_TETHER)
    p.add_argument("--workdir", type=Path)
    p.add_argument("--keep", action="store_true", help="keep the temporary work directory")
    p.add_argument("--files", type=int, default=10_000, help="files of the no-op's repository")
    p.add_argument("--refs", type=int, default=20_000, help="extra refs/pull/N/head of the no-op's repository")
    p.add_argument("--repo", type=Path, help="a real-history repository for the step (cloned, never changed)")
    p.add_argument("--steps", type=int, default=200, help="first-parent commits of the step")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--only", choices=["noop", "step"])
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if not args.tether.is_file():
        p.error(f"no tether binary at {args.tether}; build it or pass --tether")
    if args.runs < 1:
        p.error("--runs must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    args.tether = args.tether.resolve()
    log = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    temp = None
    if args.workdir is None:
        temp = Path(tempfile.mkdtemp(prefix="tether-resync-bench-"))
        workdir = temp
    else:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    report, targets, failed = [], [], []
    try:
        for name, fn in (("noop", bench_noop), ("step", bench_step)):
            if args.only and args.only != name:
                continue
            try:
                lines, verdicts = fn(args, workdir, log)
                report += lines + [""]
                targets += verdicts
            except (BenchError, subprocess.CalledProcessError, OSError) as e:
                failed.append(f"{name}: {e}")
    finally:
        if temp is not None and not args.keep:
            shutil.rmtree(temp, ignore_errors=True)
    print("\n".join(report))
    print("targets:")
    print("\n".join("  " + t for t in targets))
    if failed:
        print("could not run:")
        print("\n".join("  " + f for f in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
