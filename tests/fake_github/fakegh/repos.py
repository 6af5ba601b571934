"""Bare git repositories on disk, seen as GitHub repositories.

Layout: <root>/<owner>/<name>.git. Repositories are looked up case-
insensitively (as GitHub does) and rescanned on a miss, so a test may
create a repository after the server started.

Ids are stable: an explicit id from the configuration, else a CRC-32 of
"owner/name" (independent of which other repositories exist, so the same
repository keeps its id across runs and across additions).

Thread safety: RepoStore is safe to share between request threads; GitRepo
only runs read-only git commands and holds no mutable state.
"""

import os
import subprocess
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

# Passed to every git we run: repositories may be owned by another user
# (a CI checkout), which git would otherwise refuse as "dubious ownership".
# uploadpack.allowFilter lets clients ask for partial clones, as on GitHub.
GIT_CONFIG_ENV = {
    "GIT_CONFIG_COUNT": "2",
    "GIT_CONFIG_KEY_0": "safe.directory",
    "GIT_CONFIG_VALUE_0": "*",
    "GIT_CONFIG_KEY_1": "uploadpack.allowFilter",
    "GIT_CONFIG_VALUE_1": "true",
}


def git_environment():
    env = dict(os.environ)
    env.update(GIT_CONFIG_ENV)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    return env


def stable_id(text: str) -> int:
    """A positive id derived from text alone (never 0)."""
    return zlib.crc32(text.lower().encode("utf-8")) % 900_000_000 + 100_000


def iso_utc(git_date: str) -> str:
    """'2024-01-02T03:04:05+02:00' -> '2024-01-02T01:04:05Z' (GitHub's form)."""
    moment = datetime.fromisoformat(git_date).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    date: str  # ISO 8601, UTC, 'Z'


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: list
    author: Person
    committer: Person
    message: str


@dataclass(frozen=True)
class Ref:
    name: str  # full name: refs/heads/main
    sha: str
    object_type: str  # commit, tag, ...


class GitError(Exception):
    pass


class GitRepo:
    """Read-only queries on one bare repository, through the git CLI."""

    def __init__(self, path: str):
        self.path = path

    def _git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", "--git-dir", self.path, *args],
            capture_output=True, env=git_environment(), check=False)
        if result.returncode != 0:
            raise GitError(result.stderr.decode("utf-8", "replace").strip())
        return result.stdout.decode("utf-8", "replace")

    def default_branch(self) -> str:
        try:
            head = self._git("symbolic-ref", "HEAD").strip()
        except GitError:
            return "main"  # detached HEAD: GitHub always names one branch
        return head[len("refs/heads/"):] if head.startswith("refs/heads/") else head

    def _for_each_ref(self, pattern: str) -> list:
        out = self._git("for-each-ref", "--sort=refname",
                        "--format=%(refname)%00%(objectname)%00%(objecttype)",
                        pattern)
        return [Ref(*line.split("\0")) for line in out.splitlines()]

    def refs(self, prefix: str = "refs/") -> list:
        """Refs whose full name starts with prefix (a plain string prefix,
        as GitHub's matching-refs does), sorted by name."""
        # for-each-ref matches whole path components only; ask for the
        # enclosing folder and filter on the string prefix here.
        folder = prefix[: prefix.rfind("/") + 1] or "refs/"
        return [r for r in self._for_each_ref(folder) if r.name.startswith(prefix)]

    def branches(self) -> list:
        """(name, sha) of every branch, sorted by name as GitHub lists them."""
        return [(ref.name[len("refs/heads/"):], ref.sha)
                for ref in self.refs("refs/heads/")]

    def ref(self, full_name: str) -> Optional[Ref]:
        matches = [r for r in self._for_each_ref(full_name) if r.name == full_name]
        return matches[0] if matches else None

    def branch_sha(self, branch: str) -> Optional[str]:
        ref = self.ref("refs/heads/" + branch)
        return ref.sha if ref else None

    def commit(self, sha: str) -> Commit:
        fields = "%x00".join(
            ["%H", "%T", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"])
        out = self._git("show", "-s", "--format=" + fields, sha, "--")
        (full_sha, tree, parents, an, ae, ad, cn, ce, cd, message) = \
            out.split("\0", 9)
        return Commit(sha=full_sha, tree=tree, parents=parents.split(),
                      author=Person(an, ae, iso_utc(ad)),
                      committer=Person(cn, ce, iso_utc(cd)),
                      message=message.rstrip("\n"))

    def last_push_time(self) -> Optional[str]:
        """The newest committer date over all branches (stands in for
        GitHub's pushed_at), or None for an empty repository."""
        out = self._git("for-each-ref", "--sort=-committerdate", "--count=1",
                        "--format=%(committerdate:iso-strict)", "refs/heads/")
        return iso_utc(out.strip()) if out.strip() else None


@dataclass(frozen=True)
class RepoRecord:
    owner: str
    name: str
    path: str
    id: int
    owner_id: int
    private: bool

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def git(self) -> GitRepo:
        return GitRepo(self.path)


class RepoStore:
    """Finds repositories under root; applies per-repository settings."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self._lock = threading.Lock()
        self._settings = {}  # lower full name -> {"id": int, "private": bool}
        self._by_name = {}   # lower full name -> RepoRecord
        self._by_id = {}

    def configure(self, full_name: str, settings: dict) -> None:
        """Set 'id' and/or 'private' for owner/name (kept over rescans)."""
        with self._lock:
            current = self._settings.setdefault(full_name.lower(), {})
            current.update({k: settings[k] for k in ("id", "private") if k in settings})
        self.rescan()

    def clear_settings(self) -> None:
        with self._lock:
            self._settings = {}
        self.rescan()

    def find(self, owner: str, name: str) -> Optional[RepoRecord]:
        key = f"{owner}/{name}".lower()
        with self._lock:
            record = self._by_name.get(key)
        if record is None or not os.path.isdir(record.path):
            self.rescan()
            with self._lock:
                record = self._by_name.get(key)
        return record

    def by_id(self, repo_id: int) -> Optional[RepoRecord]:
        with self._lock:
            record = self._by_id.get(repo_id)
        if record is None:
            self.rescan()
            with self._lock:
                record = self._by_id.get(repo_id)
        return record

    def rescan(self) -> None:
        by_name, by_id = {}, {}
        with self._lock:
            settings = dict(self._settings)
        for owner, name, path in self._list_on_disk():
            record = self._make_record(owner, name, path, settings, by_id)
            by_name[record.full_name.lower()] = record
            by_id[record.id] = record
        with self._lock:
            self._by_name, self._by_id = by_name, by_id

    def _list_on_disk(self):
        if not os.path.isdir(self.root):
            return
        for owner in sorted(os.listdir(self.root)):
            owner_dir = os.path.join(self.root, owner)
            if not os.path.isdir(owner_dir):
                continue
            for entry in sorted(os.listdir(owner_dir)):
                path = os.path.join(owner_dir, entry)
                if entry.endswith(".git") and os.path.isdir(path):
                    yield owner, entry[: -len(".git")], path

    @staticmethod
    def _make_record(owner, name, path, settings, taken_ids) -> RepoRecord:
        own = settings.get(f"{owner}/{name}".lower(), {})
        repo_id = own.get("id")
        if repo_id is None:
            repo_id = stable_id(f"{owner}/{name}")
            while repo_id in taken_ids:  # a CRC collision: stay unique
                repo_id += 1
        return RepoRecord(owner=owner, name=name, path=path, id=int(repo_id),
                          owner_id=stable_id(owner),
                          private=bool(own.get("private", False)))
