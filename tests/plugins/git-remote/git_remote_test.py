#!/usr/bin/env python3
"""The git-remote provider as an operator uses it, through the tether binary,
against real git servers on this machine: git's `git http-backend` behind
basic authentication (git_http_server.py), `git daemon` for git://, and SSH
through an ssh_command that runs git's upload-pack locally.

  git_remote_test.py CHECK SOURCE_DIR BUILD_DIR

CHECK is one of:
  kit-daemon   the conformance kit passes over git:// (git daemon)
  kit-http     the conformance kit passes over smart HTTP with basic authentication
  sync-http    a project over authenticated HTTP is added, synced, synced after a push and a force
               push, and synced with nothing new; the password is in no output, file or row
  sync-https   the same server over HTTPS (a certificate of the test's own, trusted through git's
               GIT_SSL_CAINFO): a project syncs; with the certificate untrusted, it is refused
  credentials  a wrong password, none, an unset variable: each a clear refusal, no secret shown,
               nothing stored; credentials never go to a host outside "hosts"
  urls         URLs git-remote will not follow are refused at `project add`, naming why
  timeout      a server that never answers fails the command at timeout_seconds
  ssh          SSH through ssh_command: the key and BatchMode are given, a sync completes
  packs        forty syncs that each fetch leave the mirror with few packs (repacked past 32), and a
               commit a force push left behind still in it
"""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

CHECK, SRC, BUILD = sys.argv[1], sys.argv[2], sys.argv[3]
TETHER = os.path.join(BUILD, "bin", "tether")
PLUGIN = os.path.join(BUILD, "lib", "tether", "plugins", "libgit-remote.so")
GIT_ADAPTER = os.path.join(SRC, "engine", "conformance", "adapters", "git-adapter.sh")
HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "glpat-Secret-0123456789-kept-out-of-every-log"
problems = []


def finish():
    for p in problems:
        print("FAILED:", p)
    sys.exit(1 if problems else 0)


def git(*args, cwd=None, env=None):
    run = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {run.stderr}")
    return run.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpServer:
    def __init__(self, root, user=None, password=None, stall=False, tls=None):
        cmd = [sys.executable, os.path.join(HERE, "git_http_server.py"), "--root", root, "--parent-pid",
               str(os.getpid())]
        if tls is not None:
            cmd += ["--tls", tls[0], tls[1]]
        if user is not None:
            cmd += ["--user", user, "--password", password]
        if stall:
            cmd.append("--stall")
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        ready = self.process.stdout.readline().split()
        if len(ready) != 2 or ready[0] != "READY":
            raise RuntimeError(f"the git HTTP server did not start: {ready}")
        self.port = int(ready[1])

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


class GitDaemon:
    def __init__(self, base):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", f"--port={self.port}", f"--base-path={base}", "--export-all",
             "--listen=127.0.0.1", "--informative-errors"], stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("git daemon did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


class Upstream:
    """A repository with a work tree, published to a bare one the servers serve."""

    def __init__(self, root, name):
        self.root = root
        self.head = None
        self.bare = os.path.join(root, name + ".git")
        self.work = os.path.join(root, "work-" + name)
        git("init", "--quiet", "--bare", "--initial-branch=main", self.bare)
        git("init", "--quiet", "--initial-branch=main", self.work)
        git("config", "user.name", "test", cwd=self.work)
        git("config", "user.email", "test@example.invalid", cwd=self.work)

    def write(self, path, text):
        full = os.path.join(self.work, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def commit(self, message, force=False):
        git("add", "--all", cwd=self.work)
        git("commit", "--quiet", "--allow-empty", "-m", message, cwd=self.work)
        git("push", "--quiet", *(["--force"] if force else []), self.bare, "main", cwd=self.work)
        self.head = git("rev-parse", "HEAD", cwd=self.work)
        return self.head


def served_upstream(tmp, files):
    """tmp/repos/app.git with one commit of `files` (path -> text)."""
    repos = os.path.join(tmp, "repos")
    os.makedirs(repos)
    upstream = Upstream(repos, "app")
    for path, text in files.items():
        upstream.write(path, text)
    upstream.commit("first")
    return upstream


class World:
    """A config with git-remote and sql-storage on SQLite, in a folder of its own."""

    def __init__(self, tmp, settings, env=None):
        self.tmp = tmp
        self.config = os.path.join(tmp, "tether.json")
        self.env = dict(os.environ, **(env or {}))
        settings = dict({"cache_dir": os.path.join(tmp, "cache")}, **settings)
        with open(self.config, "w") as f:
            json.dump({"database": "sqlite:" + os.path.join(tmp, "tether.db"),
                       "plugins": [{"name": "git-remote", "kind": "provider", "settings": settings},
                                   {"name": "sql-storage", "kind": "storage"}]}, f)
        self.outputs = []
        self.run("migrate", "apply", expect=0)

    def run(self, *args, expect=None, env=None):
        started = time.time()
        run = subprocess.run([TETHER, "--config", self.config, *args], capture_output=True, text=True,
                             env=dict(self.env, **(env or {})), timeout=300, stdin=subprocess.DEVNULL)
        run.seconds = time.time() - started
        self.outputs.append(run.stdout + run.stderr)
        if expect is not None and run.returncode != expect:
            problems.append(f"tether {' '.join(args)}: exit {run.returncode}, expected {expect}: "
                            f"{run.stdout[-600:]} {run.stderr[-600:]}")
        return run

    def sql(self, query):
        with sqlite3.connect(os.path.join(self.tmp, "tether.db")) as db:
            return db.execute(query).fetchall()

    def documents(self, project):
        return sorted(r[0] for r in self.sql(
            f"SELECT d.path FROM documents d JOIN projects p ON p.id = d.project_id WHERE p.name = '{project}'"))

    def projects(self):
        return [r[0] for r in self.sql("SELECT name FROM projects")]


def subdir(parent, name):
    path = os.path.join(parent, name)
    os.makedirs(path)
    return path


def expect_report(what, run):
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        problems.append(f"{what}: no report (exit {run.returncode}): {run.stderr.strip()[-800:]}")
        return
    if report.get("error") is not None:
        problems.append(f"{what}: the kit stopped early: {report['error']}")
    for c in report["contracts"]:
        if c["verdict"] != "passed":
            problems.append(f"{what}: {c['id']} {c['verdict']}: {c['detail']}")
    if run.returncode != 0:
        problems.append(f"{what}: exit {run.returncode}")


def kit(settings, prefix, env=None):
    return subprocess.run([TETHER, "--json", "plugins", "test", PLUGIN, "--adapter", GIT_ADAPTER,
                           "--settings", json.dumps(settings)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, TETHER_CONFORMANCE_URL_PREFIX=prefix, **(env or {})))


def no_secret_anywhere(world, what):
    for text in world.outputs:
        if PASSWORD in text:
            problems.append(f"{what}: the password appears in tether's output")
            break
    for folder, _, files in os.walk(world.tmp):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as f:
                if PASSWORD.encode() in f.read():
                    problems.append(f"{what}: the password is written in {os.path.relpath(path, world.tmp)}")


with tempfile.TemporaryDirectory() as tmp:
    if CHECK == "kit-daemon":
        daemon = GitDaemon("/")
        try:
            expect_report("git-remote over git://",
                          kit({"cache_dir": os.path.join(tmp, "cache")}, f"git://127.0.0.1:{daemon.port}"))
        finally:
            daemon.stop()

    elif CHECK == "kit-http":
        server = HttpServer("/", user="kit", password=PASSWORD)
        try:
            run = kit({"cache_dir": os.path.join(tmp, "cache"), "hosts": ["127.0.0.1"], "username": "kit",
                       "password_env": "KIT_GIT_PASSWORD"}, f"http://127.0.0.1:{server.port}",
                      env={"KIT_GIT_PASSWORD": PASSWORD})
            expect_report("git-remote over HTTP with basic authentication", run)
            if PASSWORD in run.stdout + run.stderr:
                problems.append("the kit's report shows the password")
        finally:
            server.stop()

    elif CHECK == "sync-http":
        upstream = served_upstream(tmp, {"README.md": "# app\n", "src/main.c": "int main(void) { return 0; }\n",
                                         "src/util.h": "#pragma once\n"})
        repos = upstream.root
        first = upstream.head
        server = HttpServer(repos, user="tether", password=PASSWORD)
        try:
            world = World(tmp, {"hosts": ["127.0.0.1"], "username": "tether", "password_env": "GIT_TOKEN"},
                          env={"GIT_TOKEN": PASSWORD})
            url = f"http://127.0.0.1:{server.port}/app.git"
            added = world.run("project", "add", "app", "--provider", "git-remote", "--repo", url, expect=0)
            if "main" not in added.stdout:
                problems.append(f"project add does not name the default branch main: {added.stdout}")
            branches = world.run("--json", "project", "branches", "app", expect=0)
            if '"main"' not in branches.stdout:
                problems.append(f"project branches does not list main: {branches.stdout}")
            world.run("sync", "app", expect=0)
            if world.documents("app") != ["README.md", "src/main.c", "src/util.h"]:
                problems.append(f"first sync stored {world.documents('app')}")
            if world.sql("SELECT commit_id FROM storage_cursors") != [(first,)]:
                problems.append(f"first sync's cursor is {world.sql('SELECT commit_id FROM storage_cursors')}")

            upstream.write("src/util.h", "#pragma once\nint util(void);\n")
            os.makedirs(os.path.join(upstream.work, "docs"))
            git("mv", "README.md", "docs/README.md", cwd=upstream.work)
            second = upstream.commit("second")
            synced = world.run("--json", "sync", "app", expect=0)
            if world.documents("app") != ["docs/README.md", "src/main.c", "src/util.h"]:
                problems.append(f"second sync stored {world.documents('app')}")
            if '"incremental"' not in synced.stdout:
                problems.append(f"the second sync was not incremental: {synced.stdout[-400:]}")
            if world.sql("SELECT commit_id FROM storage_cursors") != [(second,)]:
                problems.append("the second sync did not move the cursor")

            # A force push to an unrelated history: the old commit is still in
            # the mirror, the sync compares whole trees.
            git("checkout", "--quiet", "--orphan", "rewritten", cwd=upstream.work)
            git("rm", "-r", "--quiet", "--cached", ".", cwd=upstream.work)
            shutil.rmtree(os.path.join(upstream.work, "src"))
            shutil.rmtree(os.path.join(upstream.work, "docs"))
            upstream.write("only.txt", "rewritten\n")
            git("add", "only.txt", cwd=upstream.work)
            git("commit", "--quiet", "-m", "rewritten", cwd=upstream.work)
            git("push", "--quiet", "--force", upstream.bare, "rewritten:main", cwd=upstream.work)
            forced = world.run("--json", "sync", "app", expect=0)
            if world.documents("app") != ["only.txt"]:
                problems.append(f"the sync after a force push stored {world.documents('app')}")
            if '"force_push"' not in forced.stdout:
                problems.append(f"the sync after a force push was not a force_push: {forced.stdout[-400:]}")

            # Nothing new: no fetch (the mirror is untouched), nothing written.
            def mirror_files():
                out = {}
                for folder, _, files in os.walk(os.path.join(tmp, "cache")):
                    for name in files:
                        if name != "fetch.lock":
                            path = os.path.join(folder, name)
                            out[path] = os.stat(path).st_mtime_ns
                return out
            before = mirror_files()
            noop = world.run("--json", "sync", "app", expect=0)
            if json.loads(noop.stdout)["runs"][0]["outcome"] != "noop":
                problems.append(f"a sync with nothing new was not a no-op: {noop.stdout[-400:]}")
            if mirror_files() != before:
                problems.append("a sync with nothing new changed the mirror")
            after = open(os.path.join(tmp, "http-requests.log")).read()
            if " 200 -" in after:
                problems.append("a request was served without credentials")
            no_secret_anywhere(world, "sync-http")
        finally:
            server.stop()

    elif CHECK == "sync-https":
        upstream = served_upstream(tmp, {"src/app.py": "print('over TLS')\n"})
        repos = upstream.root
        head = upstream.head
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        server = HttpServer(repos, user="tether", password=PASSWORD, tls=(cert, key))
        try:
            url = f"https://127.0.0.1:{server.port}/app.git"
            settings = {"hosts": ["127.0.0.1"], "username": "tether", "password_env": "GIT_TOKEN",
                        "protocols": ["https"]}
            untrusted = World(subdir(tmp, "untrusted"), settings, env={"GIT_TOKEN": PASSWORD})
            run = untrusted.run("project", "add", "app", "--provider", "git-remote", "--repo", url)
            if run.returncode == 0 or "certificate" not in run.stderr.lower():
                problems.append(f"an untrusted certificate: exit {run.returncode}: {run.stderr.strip()[-400:]}")
            if untrusted.projects():
                problems.append("an untrusted certificate left a project row")
            world = World(subdir(tmp, "trusted"), settings, env={"GIT_TOKEN": PASSWORD, "GIT_SSL_CAINFO": cert})
            world.run("project", "add", "app", "--provider", "git-remote", "--repo", url, expect=0)
            world.run("sync", "app", expect=0)
            if world.documents("app") != ["src/app.py"]:
                problems.append(f"the sync over HTTPS stored {world.documents('app')}")
            if world.sql("SELECT commit_id FROM storage_cursors") != [(head,)]:
                problems.append("the sync over HTTPS did not reach the pushed commit")
            no_secret_anywhere(world, "sync-https")
        finally:
            server.stop()

    elif CHECK == "credentials":
        upstream = served_upstream(tmp, {"a.txt": "a\n"})
        repos = upstream.root
        server = HttpServer(repos, user="tether", password=PASSWORD)
        try:
            url = f"http://127.0.0.1:{server.port}/app.git"
            cases = [
                ("a wrong password", {"hosts": ["127.0.0.1"], "username": "tether", "password_env": "GIT_TOKEN"},
                 {"GIT_TOKEN": "wrong-" + PASSWORD[::-1]}, "refused the credentials"),
                ("no credentials", {}, {}, "none are configured"),
                ("an unset variable", {"hosts": ["127.0.0.1"], "username": "tether", "password_env": "UNSET_TOKEN"},
                 {}, "$UNSET_TOKEN (password_env) is not set"),
            ]
            for i, (what, settings, env, said) in enumerate(cases):
                world = World(subdir(tmp, f"case{i}"), settings, env=env)
                run = world.run("project", "add", "app", "--provider", "git-remote", "--repo", url)
                if run.returncode == 0:
                    problems.append(f"{what}: project add succeeded")
                if said not in run.stderr:
                    problems.append(f"{what}: the error does not say '{said}': {run.stderr.strip()[-500:]}")
                if url not in run.stderr:
                    problems.append(f"{what}: the error does not name the URL: {run.stderr.strip()[-300:]}")
                if world.projects():
                    problems.append(f"{what}: a project row was left: {world.projects()}")
                no_secret_anywhere(world, what)
            # Credentials only for the listed hosts: a project naming another
            # server is refused before anything is sent.
            world = World(subdir(tmp, "hosts"),
                          {"hosts": ["git.example.com"], "username": "tether", "password_env": "GIT_TOKEN"},
                          env={"GIT_TOKEN": PASSWORD})
            before = open(os.path.join(tmp, "http-requests.log")).read()
            run = world.run("project", "add", "app", "--provider", "git-remote", "--repo", url, expect=2)
            if '"hosts"' not in run.stderr or "127.0.0.1" not in run.stderr:
                problems.append(f"a host outside hosts: the error does not say so: {run.stderr.strip()}")
            if open(os.path.join(tmp, "http-requests.log")).read() != before:
                problems.append("a host outside hosts was sent a request")
            # Credentials without hosts are refused when the plugin loads.
            world_dir = os.path.join(tmp, "nohosts")
            os.makedirs(world_dir)
            with open(os.path.join(world_dir, "tether.json"), "w") as f:
                json.dump({"database": "sqlite:" + os.path.join(world_dir, "t.db"),
                           "plugins": [{"name": "git-remote", "kind": "provider",
                                        "settings": {"password_env": "GIT_TOKEN", "username": "u"}},
                                       {"name": "sql-storage", "kind": "storage"}]}, f)
            run = subprocess.run([TETHER, "--config", os.path.join(world_dir, "tether.json"), "plugins", "check"],
                                 capture_output=True, text=True, timeout=60)
            if run.returncode != 1 or '"hosts"' not in run.stdout + run.stderr:
                problems.append(f"credentials without hosts: exit {run.returncode}: {run.stdout} {run.stderr}")
        finally:
            server.stop()

    elif CHECK == "urls":
        world = World(tmp, {"protocols": ["https", "ssh", "git"]})
        marker = os.path.join(tmp, "ran")
        for url, said in [
            ("file://" + tmp, "not one git-remote follows"),
            (tmp, "local-git"),
            ("ext::sh -c touch% " + marker, "whitespace"),
            ("ext::sh", "transport helpers"),
            ("https://user:hunter2@example.com/a.git", "holds a password"),
            ("http://example.com/a.git", "allow only https, ssh, git"),
            ("-oProxyCommand=touch " + marker, "whitespace"),
            ("ssh://-oProxyCommand=x/a.git", "starts with '-'"),
            ("git@example.com:-u/a.git", "starts with '-'"),
            ("https://example.com:99999/a.git", "port"),
            ("https://example.com/", "no repository path"),
            ("https://exa\tmple.com/a.git", "whitespace"),
        ]:
            run = world.run("project", "add", "p", "--provider", "git-remote", "--repo", url)
            if run.returncode != 2:
                problems.append(f"project add {url!r}: exit {run.returncode}, expected 2: {run.stderr.strip()}")
            if said not in run.stderr:
                problems.append(f"project add {url!r}: the error does not say '{said}': {run.stderr.strip()}")
            if "hunter2" in run.stderr + run.stdout:
                problems.append(f"project add {url!r}: the password in the URL is shown")
        if world.projects():
            problems.append(f"refused URLs left projects: {world.projects()}")
        if os.path.exists(marker):
            problems.append("a refused URL ran a command")

    elif CHECK == "timeout":
        server = HttpServer(tmp, stall=True)
        try:
            world = World(tmp, {"timeout_seconds": 2})
            run = world.run("project", "add", "app", "--provider", "git-remote", "--repo",
                            f"http://127.0.0.1:{server.port}/app.git")
            if run.returncode == 0:
                problems.append("project add against a server that never answers succeeded")
            if "did not finish within 2 s" not in run.stderr or "timeout_seconds" not in run.stderr:
                problems.append(f"the error does not name the deadline: {run.stderr.strip()}")
            if run.seconds > 15:
                problems.append(f"project add took {run.seconds:.1f} s with timeout_seconds 2")
            if world.projects():
                problems.append("a project row was left")
        finally:
            server.stop()

    elif CHECK == "ssh":
        upstream = served_upstream(tmp, {"a.txt": "a\n", "lib/b.txt": "b\n"})
        repos = upstream.root
        key = os.path.join(tmp, "id_test")
        with open(key, "w") as f:
            f.write("not a real key: the ssh_command below only records it\n")
        # An ssh that records its arguments and runs the remote command here,
        # as sshd would on the server.
        fake_ssh = os.path.join(tmp, "fake-ssh")
        with open(fake_ssh, "w") as f:
            f.write("#!/bin/sh\n"
                    f"printf '%s\\n' \"$@\" > {tmp}/ssh-args\n"
                    "for last; do :; done\n"
                    f"cd {repos} && exec sh -c \"$last\"\n")
        os.chmod(fake_ssh, 0o755)
        world = World(tmp, {"hosts": ["git.example.com"], "ssh_command": fake_ssh, "ssh_key_file": key})
        world.run("project", "add", "app", "--provider", "git-remote", "--repo", "git@git.example.com:app.git",
                  expect=0)
        world.run("sync", "app", expect=0)
        if world.documents("app") != ["a.txt", "lib/b.txt"]:
            problems.append(f"the sync over SSH stored {world.documents('app')}")
        args = open(os.path.join(tmp, "ssh-args")).read().split("\n")
        for needed in ["BatchMode=yes", "IdentitiesOnly=yes", key, "git@git.example.com"]:
            if needed not in args:
                problems.append(f"ssh was not given {needed}: {args}")
    elif CHECK == "packs":
        upstream = served_upstream(tmp, {"a.txt": "first\n"})
        repos = upstream.root
        daemon = GitDaemon(repos)
        try:
            world = World(tmp, {})
            world.run("project", "add", "app", "--provider", "git-remote", "--repo",
                      f"git://127.0.0.1:{daemon.port}/app.git", expect=0)
            upstream.write("a.txt", "left behind\n")
            left_behind = upstream.commit("left behind")
            world.run("sync", "app", expect=0)
            git("reset", "--quiet", "--hard", "HEAD~1", cwd=upstream.work)
            for i in range(40):
                upstream.write("a.txt", f"change {i}\n")
                head = upstream.commit(f"change {i}", force=True)
                world.run("sync", "app", expect=0)
            if world.sql("SELECT commit_id FROM storage_cursors") != [(head,)]:
                problems.append("the last of forty syncs did not reach the head")
            mirrors = [os.path.join(folder, name) for folder, names, _ in os.walk(os.path.join(tmp, "cache"))
                       for name in names if name == "mirror.git"]
            if len(mirrors) != 1:
                problems.append(f"expected one mirror, found {mirrors}")
            else:
                packs = [n for n in os.listdir(os.path.join(mirrors[0], "objects", "pack")) if n.endswith(".pack")]
                if not 1 <= len(packs) <= 32:
                    problems.append(f"after 41 fetches the mirror holds {len(packs)} packs")
                kept = subprocess.run(["git", "--git-dir", mirrors[0], "cat-file", "-e", left_behind + "^{commit}"])
                if kept.returncode != 0:
                    problems.append("the commit a force push left behind is gone from the mirror after a repack")
        finally:
            daemon.stop()
    else:
        problems.append(f"unknown check {CHECK}")

finish()
