#!/usr/bin/env python3
"""Tether embeddings benchmark: the embedding pass, semantic search and the no-op cost.

On a bare clone of a real-history repository (default: git.git's mirror when
present, else this repository; --repo PATH for another), against the fake
embedding service of the tests (tests/fake_embeddings, OpenAI-compatible,
--dimensions 256), the script:

  1. syncs the repository's default branch with the code and embeddings
     analyzers (batch_size 256) into a fresh SQLite database, and reports the
     texts embedded, the requests, the batch fill (texts per request over
     batch_size; target >= 90%) and the sync's wall time;
  2. times no-op syncs (the branch unchanged) as whole processes, with the
     analyzers configured and without, and prints the difference (target:
     the analyzers add under 5 ms);
  3. starts `tether serve` and times GET /api/v1/search?mode=semantic for a
     few descriptions, p50 and p99 (target p99 under 50 ms), with the number
     of chunks compared; the server reads a project's vectors into memory at
     its first search (timed apart, "cold") and again only after they
     change. --max-chunk-chars 300 cuts git.git into over 100,000 chunks.

A report, not a test: exit 0 when the report was printed, even with MISS
lines; 1 when something could not run; 2 on bad usage. Python 3 standard
library only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from search_bench import BenchError, default_repo, free_port, percentile, run

PROJECT = "bench"
BATCH = 256
TARGET_FILL = 0.90
TARGET_NOOP_MS = 5.0
TARGET_P99_MS = 50.0
QUERIES = ["parse the command line options", "write an object to the pack file", "compare two trees and show the diff",
           "read the configuration file", "network transport for fetching refs"]


def fake_counts(url: str) -> dict:
    with urllib.request.urlopen(url + "/_fake/counts", timeout=10) as reply:
        return json.loads(reply.read())


def timed_noops(tether: Path, work: Path, env: dict, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        begun = time.perf_counter()
        run([str(tether), "sync", PROJECT], work, env)
        times.append((time.perf_counter() - begun) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = Path(__file__).resolve().parent.parent
    parser.add_argument("--tether", default=str(root / "build" / "bin" / "tether"))
    parser.add_argument("--repo", default=None, help="a git repository (default: git.git's mirror, else this one)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--max-chunk-chars", type=int, default=1500,
                        help="the analyzer's max_chunk_chars (smaller: more chunks to search)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    tether = Path(args.tether)
    if not tether.exists():
        print(f"embeddings_bench: no tether binary at {tether}", file=sys.stderr)
        return 2
    repo = Path(args.repo) if args.repo else default_repo()
    work = Path(tempfile.mkdtemp(prefix="tether-embeddings-bench-"))
    fake = server = None
    try:
        fake = subprocess.Popen([sys.executable, str(root / "tests" / "fake_embeddings" / "fake_embeddings.py"),
                                 "--dimensions", "256"], stdout=subprocess.PIPE, text=True)
        ready = fake.stdout.readline().split()
        if len(ready) != 2 or ready[0] != "READY":
            raise BenchError("the fake embedding service did not start")
        fake_url = f"http://127.0.0.1:{ready[1]}"
        clone = work / "repo.git"
        run(["git", "clone", "-q", "--bare", str(repo), str(clone)], work)
        branch = run(["git", "symbolic-ref", "--short", "HEAD"], clone).strip()
        base = {"name": "local-git", "kind": "provider"}, {"name": "sql-storage", "kind": "storage"}
        analyzers = [{"name": "code", "kind": "analyzer"},
                     {"name": "embeddings", "kind": "analyzer",
                      "settings": {"provider": "openai", "url": fake_url, "model": "bench", "dimensions": 256,
                                   "batch_size": BATCH, "max_chunk_chars": args.max_chunk_chars}}]
        config = work / "tether.json"

        def write_config(with_analyzers: bool) -> None:
            config.write_text(json.dumps({
                "database": f"sqlite:{work / 'tether.db'}",
                "plugins": list(base) + (analyzers if with_analyzers else []),
                "defaults": {"provider": "local-git", "storage": "sql-storage", "max_content_bytes": 1048576},
            }))

        write_config(True)
        env = dict(os.environ, TETHER_CONFIG=str(config))
        run([str(tether), "migrate", "apply"], work, env)
        run([str(tether), "project", "add", PROJECT, "--repo", str(clone), "--branch", branch], work, env)
        begun = time.monotonic()
        run([str(tether), "sync", PROJECT], work, env)
        sync_s = time.monotonic() - begun
        counts = fake_counts(fake_url)
        texts, requests = counts["inputs"], counts["requests"]
        fill = texts / (requests * BATCH) if requests else 0.0
        print(f"repository: {repo} ({branch})")
        print(f"first sync with code and embeddings: {sync_s:.1f} s; {texts} texts embedded in {requests} requests")
        print(f"batch fill {fill * 100:.1f}% (texts / requests x {BATCH}), target >= {TARGET_FILL * 100:.0f}%:"
              f" {'PASS' if fill >= TARGET_FILL else 'MISS'}")

        with_analyzers = timed_noops(tether, work, env, args.rounds)
        write_config(False)
        without = timed_noops(tether, work, env, args.rounds)
        write_config(True)
        added = statistics.median(with_analyzers) - statistics.median(without)
        print(f"no-op sync (process, median of {args.rounds}): {statistics.median(with_analyzers):.1f} ms with the"
              f" analyzers, {statistics.median(without):.1f} ms without: +{added:.1f} ms, target < {TARGET_NOOP_MS:.0f}"
              f" ms: {'PASS' if added < TARGET_NOOP_MS else 'MISS'}")

        token = run([str(tether), "token", "create", "--name", "bench"], work, env).strip().split()[-1]
        port = free_port()
        server = subprocess.Popen([str(tether), "serve", "--listen", f"127.0.0.1:{port}", "--workers", "0"],
                                  cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise BenchError("tether serve did not answer /healthz within 30 s")
                time.sleep(0.1)
        vectors = int(run(["sqlite3", str(work / "tether.db"),
                           "SELECT COUNT(*) FROM analysis_vectors"], work).strip() or 0)

        def search(q: str) -> tuple[float, dict]:
            params = urllib.parse.urlencode({"project": PROJECT, "q": q, "mode": "semantic", "limit": 10})
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/search?{params}",
                                             headers={"Authorization": f"Bearer {token}"})
            begun = time.perf_counter()
            with urllib.request.urlopen(request, timeout=120) as reply:
                body = json.loads(reply.read())
            return (time.perf_counter() - begun) * 1000, body

        cold_ms, first = search(QUERIES[0])
        times = []
        for q in QUERIES:
            for _ in range(args.rounds):
                times.append(search(q)[0])
        p50, p99 = percentile(times, 50), percentile(times, 99)
        chunks = first.get("compared", "?")
        print(f"semantic search over {chunks} chunks ({vectors} distinct vectors): first search {cold_ms:.0f} ms"
              f" (reads them into memory); then p50 {p50:.1f} ms, p99 {p99:.1f} ms, target p99 <="
              f" {TARGET_P99_MS:.0f} ms: {'PASS' if p99 <= TARGET_P99_MS else 'MISS'} ({len(times)} requests)")

        # One file more on the branch (a commit made with plumbing in the
        # bare clone), synced by another process: the next search reads
        # only the new texts' vectors.
        added = work / "bench_added.py"
        added.write_text("def bench_added_function(value):\n    return value * 2\n")
        blob = run(["git", "hash-object", "-w", str(added)], clone).strip()
        index_env = dict(os.environ, GIT_INDEX_FILE=str(work / "bench.index"))
        run(["git", "read-tree", branch], clone, index_env)
        run(["git", "update-index", "--add", "--cacheinfo", f"100644,{blob},bench_added.py"], clone, index_env)
        tree = run(["git", "write-tree"], clone, index_env).strip()
        commit = run(["git", "commit-tree", tree, "-p", branch, "-m", "bench: one file more"], clone).strip()
        run(["git", "update-ref", f"refs/heads/{branch}", commit], clone)
        run([str(tether), "sync", PROJECT], work, env)
        after_ms, _ = search(QUERIES[0])
        print(f"first search after a sync that added one file: {after_ms:.0f} ms (the new texts' vectors read,"
              f" the others kept)")
        return 0
    except (BenchError, subprocess.CalledProcessError) as error:
        print(f"embeddings_bench: {error}", file=sys.stderr)
        return 1
    finally:
        for process in (server, fake):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
