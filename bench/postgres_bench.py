#!/usr/bin/env python3
"""First sync into PostgreSQL against the same sync into SQLite.

Builds the same deterministic repositories as sync_bench.py, starts a
throwaway PostgreSQL cluster (tests/support/pg_cluster.sh, with durable
settings: fsync on, synchronous_commit on), and prints, side by side, the
engine time and wall time of a first sync and of a 10-file resync into each
database. Target (issue "PostgreSQL everywhere"): the first sync into
PostgreSQL within 2x the time of the same sync into SQLite.

Usage: python3 bench/postgres_bench.py [--sizes 10000,100000] [--tether PATH]
Exit status: 0 when the report was printed (even with MISS), 1 when
something could not run.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync_bench as sb  # noqa: E402  (same folder)

TARGET_RATIO = 2.0


class Cluster:
    """A PostgreSQL cluster for the length of the benchmark."""

    def __init__(self, workdir: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="tether-pg-bench-"))
        env = dict(os.environ, PG_CLUSTER_DURABLE="1")
        subprocess.run(["bash", str(sb.REPO_ROOT / "tests/support/pg_cluster.sh"), "start", str(self.dir)],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        self.admin_url = (self.dir / "url").read_text().strip()

    def new_database(self, name: str) -> str:
        self.psql(f"DROP DATABASE IF EXISTS {name}")
        self.psql(f"CREATE DATABASE {name}")
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def psql(self, sql: str, url: str | None = None) -> str:
        out = subprocess.run(["psql", url or self.admin_url, "-Atqc", sql], check=True,
                             capture_output=True, text=True)
        return out.stdout.strip()

    def stop(self) -> None:
        subprocess.run(["bash", str(sb.REPO_ROOT / "tests/support/pg_cluster.sh"), "stop", str(self.dir)],
                       check=False)


def run_one(binary: Path, rundir: Path, db_url: str, repo: sb.BenchRepo) -> tuple[sb.Measurement, sb.Measurement]:
    """First sync, then the 10-file resync; returns both measurements."""
    t = sb.Tether(binary, rundir)
    t.setup(repo.path, db_url)
    first = t.sync()
    sb.git(repo.path, "update-ref", sb.MAIN_REF, repo.second, repo.first)
    incremental = t.sync()
    sb.git(repo.path, "update-ref", sb.MAIN_REF, repo.first, repo.second)
    return first, incremental


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--tether", type=Path, default=sb.DEFAULT_TETHER)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not args.tether.exists():
        print(f"no tether binary at {args.tether}; build first", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="tether-pgbench-"))
    cluster = None
    rows = []
    try:
        cluster = Cluster(workdir)
        for size in [int(s) for s in args.sizes.split(",")]:
            repo = sb.build_repo(workdir / f"repo-{size}.git", size, args.seed)
            lite = run_one(args.tether, workdir / f"sqlite-{size}", f"sqlite:{workdir / f'sqlite-{size}.db'}", repo)
            pg_url = cluster.new_database(f"bench_{size}")
            pg = run_one(args.tether, workdir / f"pg-{size}", pg_url, repo)
            docs = int(cluster.psql("SELECT COUNT(*) FROM documents", pg_url))
            expected = repo.files_second
            rows.append((size, lite, pg, docs, expected))
            print(f"[{size}] sqlite {lite[0].engine_ms:.0f} ms, postgres {pg[0].engine_ms:.0f} ms", file=sys.stderr)
    except (sb.BenchError, subprocess.CalledProcessError) as e:
        print(f"could not run: {e}", file=sys.stderr)
        return 1
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{'size':>7}  {'scenario':<15} {'sqlite ms':>10} {'postgres ms':>12} {'ratio':>6}"
          f"  {'wall s sqlite/pg':>17}  {'RSS MB sqlite/pg':>17}")
    print("-" * 92)
    for size, lite, pg, _, _ in rows:
        for label, a, b in (("first sync", lite[0], pg[0]), ("10-file resync", lite[1], pg[1])):
            print(f"{size:>7}  {label:<15} {a.engine_ms:>10.1f} {b.engine_ms:>12.1f} {b.engine_ms / a.engine_ms:>5.2f}x"
                  f"  {a.wall_s:>7.2f} / {b.wall_s:<7.2f}  {a.maxrss_kib / 1024:>7.0f} / {b.maxrss_kib / 1024:<7.0f}")
    print("\ntargets")
    for size, lite, pg, docs, expected in rows:
        ratio = pg[0].engine_ms / lite[0].engine_ms
        verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
        print(f"  {verdict}  [{size}] first sync into PostgreSQL within {TARGET_RATIO:.0f}x SQLite: {ratio:.2f}x")
        if docs != expected:
            print(f"  MISMATCH [{size}] PostgreSQL holds {docs} documents, the commit has {expected} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
