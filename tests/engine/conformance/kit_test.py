#!/usr/bin/env python3
"""The conformance kit as a plugin author runs it: `tether plugins test`.

  kit_test.py CHECK SOURCE_DIR BUILD_DIR

CHECK is one of:
  bundled         local-git passes every contract
  folder          a provider without history passes, skipping what needs history
  folder-3.0      a provider built for SDK 3.0 passes, BranchIsAt skipped
  flaws           each flaw of broken-folder fails exactly the contracts it breaks
  git-flaws       each flaw of broken-git (the contracts that need history) fails exactly those
  github          the github provider passes against the fake GitHub
  usage           a bad adapter, plugin or setting is refused with a clear error
  analyzers       the bundled analyzers pass (a repository step alone skips the blob contracts)
  analyzer-flaws  each flaw of broken-analyzer fails exactly the contracts it breaks
  storages        sql-storage (a new SQLite file) and the memory fixtures pass
  storage-flaws   each flaw of broken-memory fails exactly the contracts it breaks
  storage-postgres  sql-storage passes on a migrated PostgreSQL database (TETHER_TEST_PG_DIR),
                  leaving none of its projects behind; an unmigrated one is refused
"""
import json
import os
import signal
import subprocess
import sys
import tempfile

CHECK, SRC, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
TETHER = os.path.join(BUILD, "bin", "tether")
GIT_ADAPTER = os.path.join(SRC, "engine", "conformance", "adapters", "git-adapter.sh")
FOLDER_DIR = os.path.join(BUILD, "tests", "fixtures", "folder-provider")
FOLDER_ADAPTER = os.path.join(SRC, "samples", "plugin-template", "conformance_adapter.sh")
HERE = os.path.dirname(os.path.abspath(__file__))
problems = []


def kit(plugin, adapter=None, settings=None, env=None, keep=None, inputs=None, database=None):
    """Runs the kit; returns (exit code, the --json report or None, stderr)."""
    cmd = [TETHER, "--json", "plugins", "test", plugin]
    if database is not None:
        cmd += ["--database", database]
    if adapter is not None:
        cmd += ["--adapter", adapter]
    if inputs is not None:
        cmd += ["--inputs", inputs]
    if settings is not None:
        cmd += ["--settings", json.dumps(settings)]
    if keep is not None:
        cmd += ["--keep", keep]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        report = None
    return run.returncode, report, run.stderr


def verdicts(report, verdict):
    return sorted(c["id"] for c in report["contracts"] if c["verdict"] == verdict)


def expect_report(what, code, report, stderr, failed=(), skipped=()):
    if report is None or "contracts" not in report:
        problems.append(f"{what}: no report (exit {code}): {stderr.strip()}")
        return
    if report["error"] is not None:
        problems.append(f"{what}: the kit stopped early: {report['error']}")
    if verdicts(report, "failed") != sorted(failed):
        details = {c["id"]: c["detail"] for c in report["contracts"] if c["verdict"] == "failed"}
        problems.append(f"{what}: failed {verdicts(report, 'failed')}, expected {sorted(failed)}: {details}")
    if verdicts(report, "skipped") != sorted(skipped):
        problems.append(f"{what}: skipped {verdicts(report, 'skipped')}, expected {sorted(skipped)}")
    for c in report["contracts"]:
        if c["verdict"] == "passed" and c["checks"] < 1:
            problems.append(f"{what}: {c['id']} passed without a check")
        if c["verdict"] != "passed" and not c["detail"]:
            problems.append(f"{what}: {c['id']} {c['verdict']} without saying why")
    if code != (1 if failed else 0):
        problems.append(f"{what}: exit {code}, expected {1 if failed else 0}")


def finish():
    for p in problems:
        print("FAIL: " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


NO_HISTORY = ["incremental", "renames", "deleted-branch"]

# What each flaw of broken-folder (tests/fixtures/folder-provider) breaks:
# the contract it was made for, and what a reader of the broken bytes or
# ids cannot help breaking with it.
# A flaw that corrupts what a user would get also fails "synced": the
# engine's own sync stores the wrong rows, or refuses the provider's answer.
# A flaw that corrupts what a user would get also fails "synced": the
# engine's own sync stores the wrong rows, or refuses the provider's answer.
FLAWS = {
    "duplicate-path": ["paths-once", "synced"],
    "sink-error-ignored": ["sink-error"],
    "throws": ["no-throw", "missing-blob"],
    "max-bytes-ignored": ["max-bytes"],
    "read-needs-diff": ["fresh-read", "max-bytes", "concurrency"],
    "missing-branch-internal": ["missing-branch"],
    "not-own-ancestor": ["ancestry"],
    "drops-symlinks": ["tree", "synced"],
    "symlink-as-file": ["tree", "synced"],
    "path-ids": ["blob-ids", "synced"],
    "open-missing-ok": ["open-missing"],
    "unknown-commit-ok": ["missing-commit"],
    "unknown-blob-internal": ["missing-blob"],
    "wrong-bytes": ["content", "fresh-read", "max-bytes", "concurrency", "synced"],
    "bad-ids": ["ids", "synced"],
    "branch-is-at-always": ["branch-is-at", "synced"],
    "impatient": ["slow-sink"],
    "no-default": ["branches"],
    "any-ancestor": ["ancestry", "force-push", "synced"],
    "unstable-ids": ["stable", "concurrency"],
}

STEP_ONLY = ["sink", "deterministic", "path-independent", "order-independent", "threads", "time-limit"]
NO_STEP = ["step-outputs", "step-deterministic", "step-incremental"]

# What each flaw of broken-git (tests/fixtures/broken-git) breaks, and skips.
GIT_FLAWS = {
    "whole-tree-diff": (["incremental", "synced"], ["renames"]),
    "renames-from-elsewhere": (["incremental", "renames", "synced"], []),
    "deleted-branch-resolves": (["missing-branch", "deleted-branch"], []),
}

# What each flaw of broken-analyzer (tests/fixtures/broken-analyzer) breaks.
ANALYZER_FLAWS = {
    "key-with-space": ["key"],
    "key-changes": ["key"],
    "throws": ["no-throw"],
    "ignores-time-limit": ["time-limit"],
    "not-thread-safe": ["threads"],
    "lines-backwards": ["sink"],
    "bad-json": ["sink"],
    "path-in-data": ["path-independent"],
    "counter": ["deterministic", "path-independent", "order-independent", "threads", "step-deterministic",
                "step-incremental"],
    "step-keeps-deleted": ["step-incremental"],
    "step-counts-runs": ["step-deterministic", "step-incremental"],
    # A run that fails leaves nothing to compare: the other step contracts are skipped.
    "step-bad-name": (["step-outputs"], ["step-deterministic", "step-incremental"]),
    "step-throws": (["no-throw"], ["step-outputs", "step-deterministic", "step-incremental"]),
}

# What each flaw of broken-memory (tests/fixtures/memory-storage) breaks.
STORAGE_FLAWS = {
    "rename-keeps-mode": ["changes"],
    "counts-no-binary": ["counts"],
    "pages-ignore-after": ["pages"],
    "delete-forgets-all": ["delete-project"],
    "fence-ignored": ["fence"],
    "commit-ignores-cursor": ["conflict"],
    "throws": ["no-throw", "entries"],
    "work-ignores-after": ["analysis"],
    "outputs-survive-delete": ["outputs"],
    "results-ignore-tenant": ["tenants"],
    "vectors-replaced": ["vectors"],
    "vectors-any-dimensions": ["vectors"],
    "search-ignores-case": ["text-search"],
    "empty-has-cursor": ["empty", "killed-writer", "delete-project"],
    "rollback-publishes": ["rollback"],
    "one-writer": ["conflict", "concurrent-projects"],
    "projects-share": ["projects-apart", "delete-project"],
    "first-write-loses-a-row": ["commit", "entries", "counts", "pages"],
}
MEMORY_DIR = os.path.join(BUILD, "tests", "fixtures", "memory-storage")

if CHECK == "bundled":
    code, report, err = kit("local-git", GIT_ADAPTER)
    expect_report("local-git", code, report, err)
    if report and report["plugin"]["name"] != "local-git":
        problems.append(f"the report names the plugin {report['plugin']['name']}")
    # The text report, as a person reads it.
    run = subprocess.run([TETHER, "plugins", "test", "local-git", "--adapter", GIT_ADAPTER],
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 0 or "24 passed, 0 failed, 0 skipped" not in run.stdout:
        problems.append(f"the text report of local-git: exit {run.returncode}: {run.stdout[-400:]} {run.stderr}")
elif CHECK == "folder":
    code, report, err = kit(os.path.join(FOLDER_DIR, "libfolder-provider.so"), FOLDER_ADAPTER)
    expect_report("folder", code, report, err, skipped=NO_HISTORY)
elif CHECK == "folder-3.0":
    code, report, err = kit(os.path.join(FOLDER_DIR, "libfolder-3.0.so"), FOLDER_ADAPTER)
    expect_report("folder-3.0", code, report, err, skipped=NO_HISTORY + ["branch-is-at"])
elif CHECK == "flaws":
    broken = os.path.join(FOLDER_DIR, "libbroken-folder.so")
    code, report, err = kit(broken, FOLDER_ADAPTER, settings={"flaw": "none"})
    expect_report("broken-folder without a flaw", code, report, err, skipped=NO_HISTORY)
    for flaw, failed in FLAWS.items():
        code, report, err = kit(broken, FOLDER_ADAPTER, settings={"flaw": flaw})
        expect_report(f"broken-folder with the flaw {flaw}", code, report, err, failed=failed, skipped=NO_HISTORY)
elif CHECK == "git-flaws":
    broken = os.path.join(BUILD, "tests", "fixtures", "broken-git", "libbroken-git.so")
    code, report, err = kit(broken, GIT_ADAPTER, settings={"flaw": "none"})
    expect_report("broken-git without a flaw", code, report, err)
    for flaw, (failed, skipped) in GIT_FLAWS.items():
        code, report, err = kit(broken, GIT_ADAPTER, settings={"flaw": flaw})
        expect_report(f"broken-git with the flaw {flaw}", code, report, err, failed=failed, skipped=skipped)
elif CHECK == "github":
    with tempfile.TemporaryDirectory() as tmp:
        repos = os.path.join(tmp, "repos")
        os.makedirs(repos)
        config = os.path.join(tmp, "fake.json")
        with open(config, "w") as f:
            json.dump({"tokens": ["ghp_conformance"]}, f)
        fake = subprocess.Popen([sys.executable, os.path.join(SRC, "tests", "fake_github", "fake_github.py"),
                                 "--repos-dir", repos, "--config", config, "--parent-pid", str(os.getpid())],
                                stdout=subprocess.PIPE, text=True)
        try:
            ready = fake.stdout.readline().split()
            if len(ready) != 2 or ready[0] != "READY":
                problems.append(f"the fake GitHub did not start: {ready}")
                finish()
            env = dict(os.environ, KIT_FAKE_GITHUB_REPOS=repos, KIT_GIT_ADAPTER=GIT_ADAPTER,
                       KIT_GITHUB_TOKEN="ghp_conformance")
            settings = {"api_base_url": f"http://127.0.0.1:{ready[1]}", "token_env": "KIT_GITHUB_TOKEN",
                        "cache_dir": os.path.join(tmp, "cache"), "retry_initial_delay_ms": 10,
                        "retry_max_delay_ms": 40}
            code, report, err = kit("github", os.path.join(HERE, "github_adapter.sh"), settings=settings, env=env)
            expect_report("github", code, report, err)
        finally:
            fake.send_signal(signal.SIGTERM)
            fake.wait(timeout=30)
elif CHECK == "analyzers":
    code, report, err = kit("code")
    expect_report("code", code, report, err, skipped=NO_STEP)
    code, report, err = kit("docs")
    expect_report("docs", code, report, err, skipped=STEP_ONLY)
    code, report, err = kit("embeddings", settings={"provider": "hashing"})
    expect_report("embeddings", code, report, err, skipped=STEP_ONLY)
    # The author's own files join the corpus.
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "src"))
        with open(os.path.join(tmp, "src", "mine.py"), "w") as f:
            f.write("def mine():\n    return 1  # TODO\n")
        code, report, err = kit("code", inputs=tmp)
        expect_report("code with --inputs", code, report, err, skipped=NO_STEP)
        if report and not any(c["id"] == "deterministic" and c["checks"] == 16 for c in report["contracts"]):
            problems.append(f"--inputs did not add the author's file: {report['contracts']}")
        code, report, err = kit("code", inputs=os.path.join(tmp, "src", "mine.py"))
        if code != 2 or "is not a folder" not in err:
            problems.append(f"--inputs of a file: exit {code}, {err!r}")
elif CHECK == "analyzer-flaws":
    broken = os.path.join(BUILD, "tests", "fixtures", "broken-analyzer", "libbroken-analyzer.so")
    code, report, err = kit(broken, settings={"flaw": "none"})
    expect_report("broken-analyzer without a flaw", code, report, err)
    for flaw, failed in ANALYZER_FLAWS.items():
        failed, skipped = failed if isinstance(failed, tuple) else (failed, [])
        code, report, err = kit(broken, settings={"flaw": flaw})
        expect_report(f"broken-analyzer with the flaw {flaw}", code, report, err, failed=failed, skipped=skipped)
elif CHECK == "storages":
    with tempfile.TemporaryDirectory() as tmp:
        # The kit's folder (and its killed writer's, which has none) go away.
        code, report, err = kit("sql-storage", env=dict(os.environ, TMPDIR=tmp))
        expect_report("sql-storage on a new SQLite file", code, report, err)
        if os.listdir(tmp):
            problems.append(f"the storage kit left {os.listdir(tmp)} in TMPDIR")
    code, report, err = kit(os.path.join(MEMORY_DIR, "libmemory-3.4.so"))
    expect_report("memory-3.4", code, report, err, skipped=["text-search", "vectors"])
    code, report, err = kit(os.path.join(MEMORY_DIR, "libmemory-3.1.so"))
    expect_report("memory-3.1", code, report, err,
                  skipped=["fence", "analysis", "outputs", "text-search", "tenants", "vectors"])
elif CHECK == "storage-flaws":
    broken = os.path.join(MEMORY_DIR, "libbroken-memory.so")
    code, report, err = kit(broken, settings={"flaw": "none"})
    expect_report("broken-memory without a flaw", code, report, err)
    for flaw, failed in STORAGE_FLAWS.items():
        code, report, err = kit(broken, settings={"flaw": flaw})
        expect_report(f"broken-memory with the flaw {flaw}", code, report, err, failed=failed)
elif CHECK == "storage-postgres":
    with open(os.path.join(os.environ["TETHER_TEST_PG_DIR"], "url")) as f:
        admin_url = f.read().strip()
    name = "kit_%d" % os.getpid()
    subprocess.run(["psql", "-q", admin_url, "-c", "CREATE DATABASE %s" % name], check=True)
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        with tempfile.TemporaryDirectory() as tmp:
            code, report, err = kit("sql-storage", database=url)
            if code != 2 or "pending: run `tether migrate apply` on it first" not in err:
                problems.append(f"an unmigrated --database: exit {code}, {err.strip()!r}")
            config = os.path.join(tmp, "tether.json")
            with open(config, "w") as f:
                json.dump({"database": url, "plugins": [{"name": "sql-storage", "kind": "storage"}]}, f)
            subprocess.run([TETHER, "--config", config, "migrate", "apply"], check=True, capture_output=True)
            code, report, err = kit("sql-storage", database=url)
            # Vectors are never removed through the SDK: the kit writes none
            # into a database it did not make.
            expect_report("sql-storage on PostgreSQL", code, report, err, skipped=["vectors"])
            left = subprocess.run(["psql", "-tA", url, "-c",
                                   "SELECT (SELECT COUNT(*) FROM projects) + (SELECT COUNT(*) FROM documents)"],
                                  check=True, capture_output=True, text=True).stdout.strip()
            if left != "0":
                problems.append(f"the kit left {left} projects and documents behind on PostgreSQL")
    finally:
        subprocess.run(["psql", "-q", admin_url, "-c", "DROP DATABASE IF EXISTS %s" % name], check=False)
elif CHECK == "usage":
    with tempfile.TemporaryDirectory() as tmp:
        failing = os.path.join(tmp, "failing-adapter.sh")
        with open(failing, "w") as f:
            f.write("#!/bin/sh\necho 'cannot reach the source server' >&2\nexit 1\n")
        os.chmod(failing, 0o755)
        silent = os.path.join(tmp, "silent-adapter.sh")
        with open(silent, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(silent, 0o755)
        cases = [
            (["local-git", "--adapter", failing], "exited 1 on `" + failing + " init", 2),
            (["local-git", "--adapter", silent], "printed no \"url=...\" line", 2),
            (["local-git", "--adapter", os.path.join(tmp, "no-such-adapter")], "cannot run the fixture adapter", 2),
            (["no-such-plugin", "--adapter", GIT_ADAPTER], "no-such-plugin", 2),
            (["local-git"], "is a provider: give its fixture adapter with --adapter", 2),
            (["code", "--adapter", GIT_ADAPTER], "is an analyzer: --adapter (a provider's) do not apply", 2),
            (["local-git", "--adapter", GIT_ADAPTER, "--database", "sqlite:" + os.path.join(tmp, "x.db")],
             "is a provider: --database (a storage's) do not apply", 2),
            (["sql-storage", "--inputs", tmp], "is a storage: --inputs (an analyzer's) do not apply", 2),
            (["local-git", "--adapter", GIT_ADAPTER, "--settings", "[1]"], "--settings is not a JSON object", 2),
            (["local-git", "--adapter", GIT_ADAPTER, "--keep", HERE], "is not an empty folder", 2),
        ]
        for args, needle, want in cases:
            run = subprocess.run([TETHER, "plugins", "test"] + args, capture_output=True, text=True, timeout=120)
            if run.returncode != want or needle not in run.stderr:
                problems.append(f"tether plugins test {' '.join(args)}: exit {run.returncode} (expected {want}), "
                                f"stderr {run.stderr.strip()!r} lacks {needle!r}")
        # `tether plugins new` refuses a name a config could not load, and writes nothing.
        target = os.path.join(tmp, "new-plugin")
        run = subprocess.run([TETHER, "plugins", "new", "--kind", "provider", "../Evil Name", target],
                             capture_output=True, text=True, timeout=60)
        if run.returncode != 2 or "plugin name \"../Evil Name\"" not in run.stderr or os.path.exists(target):
            problems.append(f"plugins new with a bad name: exit {run.returncode}, {run.stderr.strip()!r}, "
                            f"folder made: {os.path.exists(target)}")
        # --keep leaves the source for the author to look at.
        keep = os.path.join(tmp, "kept")
        code, report, err = kit("local-git", GIT_ADAPTER, keep=keep)
        if code != 0 or not os.path.isdir(os.path.join(keep, "source", "repo.git")):
            problems.append(f"--keep {keep}: exit {code}, the source not kept: {err}")
else:
    problems.append(f"unknown check {CHECK}")
finish()
