"""Tests of the fake GitHub, run as a client would: the server is started as
a process against bare repositories made with the git CLI, and driven over
HTTP (REST, control API) and through `git clone` / `git fetch`.

    python3 -m unittest discover -s tests/fake_github -p "test_*.py"
"""

import base64
import http.client
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timezone
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_SCRIPT = os.path.join(HERE, "fake_github.py")
sys.path.insert(0, HERE)

from fakegh.app import FakeGitHub  # noqa: E402
from fakegh.server import FakeGitHubServer  # noqa: E402

TOKEN = "ghp_goodtoken000000000000000000000000000"
APP_ID = 4242
INSTALLATION_ID = 77
SECRET_REPO_ID = 777
EXTRA_BRANCHES = 149  # with main: 150 branches, past one page of 100


# -- git and openssl helpers ----------------------------------------------

class Sandbox:
    """A temporary folder with its own HOME, so no user or system git
    configuration leaks into the tests."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="fake_github_test_")
        self.home = os.path.join(self.root, "home")
        self.repos = os.path.join(self.root, "repos")
        os.makedirs(self.home)
        os.makedirs(self.repos)
        self.env = dict(os.environ, HOME=self.home, GIT_CONFIG_NOSYSTEM="1",
                        GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="",
                        GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.com",
                        GIT_COMMITTER_NAME="Test",
                        GIT_COMMITTER_EMAIL="test@example.com")
        for variable in ("GIT_DIR", "GIT_WORK_TREE", "SSH_ASKPASS"):
            self.env.pop(variable, None)

    def path(self, *parts) -> str:
        return os.path.join(self.root, *parts)

    def run(self, *args, cwd=None, check=True, input=None):
        return subprocess.run(list(args), cwd=cwd, env=self.env, input=input,
                              capture_output=True, check=check)

    def git(self, *args, cwd=None) -> str:
        return self.run("git", *args, cwd=cwd).stdout.decode().strip()

    def make_repo(self, owner: str, name: str, extra_branches: int = 0) -> str:
        """A bare repository with one commit on main (and extra branches on
        it); returns the path of its work tree, used to push new commits."""
        work = self.path("work", owner, name)
        os.makedirs(work)
        self.git("init", "-q", "-b", "main", work)
        self.commit(work, "README.md", f"# {name}\n", "first commit")
        bare = os.path.join(self.repos, owner, f"{name}.git")
        self.git("clone", "-q", "--bare", work, bare)
        self.git("-C", work, "remote", "add", "origin", bare)
        if extra_branches:
            sha = self.git("--git-dir", bare, "rev-parse", "main")
            lines = "".join(f"create refs/heads/feature-{i:03d} {sha}\n"
                            for i in range(extra_branches))
            self.run("git", "--git-dir", bare, "update-ref", "--stdin",
                     input=lines.encode())
        return work

    def commit(self, work: str, file: str, text: str, message: str) -> str:
        with open(os.path.join(work, file), "w", encoding="utf-8") as out:
            out.write(text)
        self.git("-C", work, "add", file)
        self.git("-C", work, "commit", "-q", "-m", message)
        return self.git("-C", work, "rev-parse", "HEAD")

    def push(self, work: str) -> str:
        self.git("-C", work, "push", "-q", "origin", "main")
        return self.git("-C", work, "rev-parse", "HEAD")

    def make_rsa_key(self, name: str):
        """(private key path, public key path), made with openssl."""
        private = self.path(f"{name}.pem")
        public = self.path(f"{name}_pub.pem")
        self.run("openssl", "genrsa", "-out", private, "2048")
        self.run("openssl", "rsa", "-in", private, "-pubout", "-out", public)
        return private, public

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_jwt(private_key: str, claims: dict, alg: str = "RS256") -> str:
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}"
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", private_key],
        input=signing_input.encode(), capture_output=True, check=True).stdout
    return f"{signing_input}.{b64url(signature)}"


def app_claims(**overrides) -> dict:
    now = int(time.time())
    claims = {"iat": now - 30, "exp": now + 540, "iss": str(APP_ID)}
    claims.update(overrides)
    return claims


# -- the server as a process ------------------------------------------------

class Reply:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


class FakeGitHubProcess:
    """Starts fake_github.py the way a C++ test does (read 'READY <port>')."""

    def __init__(self, sandbox: Sandbox, config: dict, extra_args=()):
        self.sandbox = sandbox
        config_path = sandbox.path(f"config_{id(self)}.json")
        with open(config_path, "w", encoding="utf-8") as out:
            json.dump(config, out)
        self.args = [sys.executable, SERVER_SCRIPT, "--repos-dir", sandbox.repos,
                     "--port", "0", "--config", config_path, *extra_args]
        self.proc = None
        self.port = None

    def start(self) -> "FakeGitHubProcess":
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.sandbox.env)
        self.port = read_ready_port(self.proc.stdout, self.proc)
        return self

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, headers=None, body=None,
                token=None) -> Reply:
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return Reply(response.status,
                         {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path: str, token=TOKEN, headers=None) -> Reply:
        return self.request("GET", path, headers=headers, token=token)

    def get_url(self, url: str, token=TOKEN, headers=None) -> Reply:
        """Follow a URL exactly as the server wrote it (Link, Location)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        assert origin == self.base, f"{url} does not point at this server"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.get(path, token=token, headers=headers)

    def control(self, method: str, path: str, document=None):
        reply = self.request(method, "/_fake/" + path, body=document or {})
        if reply.status != 200:
            raise AssertionError(f"control {method} {path}: {reply.status} {reply.body!r}")
        return reply.json()


def read_ready_port(stream, proc, timeout: float = 15.0) -> int:
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        if not selector.select(max(0.0, deadline - time.monotonic())):
            proc.kill()
            raise AssertionError("fake_github did not print READY in time")
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            raise AssertionError("fake_github exited: "
                                 + proc.stderr.read().decode(errors="replace"))
        line += chunk
    words = line.decode().split()
    if len(words) != 2 or words[0] != "READY":
        raise AssertionError(f"unexpected first line {line!r}")
    return int(words[1])


def link_targets(link_header: str) -> dict:
    """{'next': url, ...} from a Link header."""
    targets = {}
    for part in link_header.split(","):
        url, rel = part.split(";")
        targets[rel.strip().split("=")[1].strip('"')] = url.strip()[1:-1]
    return targets


def process_is_gone(pid: int) -> bool:
    """True when pid has exited (a zombie nobody reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return any(line.startswith("State:") and "Z" in line.split()[1]
                       for line in status)
    except FileNotFoundError:
        return True


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# -- the tests ----------------------------------------------------------------

class SharedServer:
    """One sandbox and one server for all the tests of this module (they
    cost most of the suite's time to build); each test starts from a reset."""

    def __init__(self):
        self.sandbox = Sandbox()
        self.hello_work = self.sandbox.make_repo("octo", "hello", EXTRA_BRANCHES)
        self.secret_work = self.sandbox.make_repo("octo", "secret")
        self.app_key, _ = self.sandbox.make_rsa_key("app")
        self.stranger_key, _ = self.sandbox.make_rsa_key("stranger")
        config = {
            "tokens": [TOKEN],
            "repos": {"octo/secret": {"private": True, "id": SECRET_REPO_ID}},
            # Relative to the configuration file, which is in the sandbox.
            "app": {"app_id": APP_ID, "public_key_file": "app_pub.pem",
                    "installations": [INSTALLATION_ID]},
        }
        self.gh = FakeGitHubProcess(self.sandbox, config).start()

    def close(self) -> int:
        try:
            return self.gh.stop()
        finally:
            self.sandbox.remove()


SHARED = None


def setUpModule():
    global SHARED
    SHARED = SharedServer()


def tearDownModule():
    exit_code = SHARED.close()
    if exit_code != 0:
        raise AssertionError(f"fake_github exited with {exit_code} on SIGTERM")


class FakeGitHubTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = SHARED.sandbox
        cls.hello_work = SHARED.hello_work
        cls.secret_work = SHARED.secret_work
        cls.app_key = SHARED.app_key
        cls.stranger_key = SHARED.stranger_key
        cls.gh = SHARED.gh

    def setUp(self):
        self.gh.control("POST", "reset")

    def requests(self) -> dict:
        return self.gh.control("GET", "requests")

    def hello_id(self) -> int:
        return self.gh.get("/repos/octo/hello").json()["id"]


class RepositoryTest(FakeGitHubTestCase):
    def test_repository_has_the_shape_of_full_repository(self):
        reply = self.gh.get("/repos/octo/hello")
        self.assertEqual(reply.status, 200)
        repo = reply.json()
        self.assertEqual(repo["full_name"], "octo/hello")
        self.assertEqual(repo["name"], "hello")
        self.assertEqual(repo["owner"]["login"], "octo")
        self.assertIs(repo["private"], False)
        self.assertEqual(repo["visibility"], "public")
        self.assertEqual(repo["default_branch"], "main")
        self.assertIsInstance(repo["id"], int)
        self.assertEqual(repo["clone_url"], f"{self.gh.base}/octo/hello.git")
        self.assertEqual(repo["url"], f"{self.gh.base}/repos/octo/hello")
        self.assertEqual(repo["branches_url"],
                         f"{self.gh.base}/repos/octo/hello/branches{{/branch}}")

    def test_rest_answers_carry_githubs_headers(self):
        reply = self.gh.get("/repos/octo/hello")
        headers = reply.headers
        self.assertEqual(headers["content-type"], "application/json; charset=utf-8")
        self.assertEqual(headers["x-ratelimit-limit"], "5000")
        self.assertEqual(headers["x-ratelimit-remaining"], "4999")
        self.assertEqual(headers["x-ratelimit-used"], "1")
        self.assertEqual(headers["x-ratelimit-resource"], "core")
        self.assertGreater(int(headers["x-ratelimit-reset"]), time.time())
        self.assertRegex(headers["x-github-request-id"],
                         r"^[0-9A-F]+(:[0-9A-F]+){4}$")
        self.assertEqual(int(headers["content-length"]), len(reply.body))
        self.assertTrue(headers["etag"].startswith('W/"'))

    def test_repository_is_found_by_id_and_case_insensitively(self):
        repo_id = self.hello_id()
        by_id = self.gh.get(f"/repositories/{repo_id}")
        self.assertEqual(by_id.status, 200)
        self.assertEqual(by_id.json()["full_name"], "octo/hello")
        upper = self.gh.get("/repos/OCTO/Hello")
        self.assertEqual(upper.json()["id"], repo_id)

    def test_configured_repository_id_is_used(self):
        self.assertEqual(self.gh.get("/repos/octo/secret").json()["id"], SECRET_REPO_ID)

    def test_missing_repository_is_404_with_github_error_body(self):
        reply = self.gh.get("/repos/octo/nothing")
        self.assertEqual(reply.status, 404)
        body = reply.json()
        self.assertEqual(body["message"], "Not Found")
        self.assertEqual(body["status"], "404")
        self.assertTrue(body["documentation_url"].startswith("https://docs.github.com/rest"))

    def test_git_ref_and_matching_refs(self):
        sha = self.sandbox.git("--git-dir", self.sandbox.path("repos/octo/hello.git"),
                               "rev-parse", "main")
        ref = self.gh.get("/repos/octo/hello/git/ref/heads/main")
        self.assertEqual(ref.status, 200)
        self.assertEqual(ref.json()["ref"], "refs/heads/main")
        self.assertEqual(ref.json()["object"], {
            "sha": sha, "type": "commit",
            "url": f"{self.gh.base}/repos/octo/hello/git/commits/{sha}"})
        matching = self.gh.get("/repos/octo/hello/git/matching-refs/heads/feature-00")
        self.assertEqual([r["ref"] for r in matching.json()],
                         [f"refs/heads/feature-00{i}" for i in range(10)])
        self.assertEqual(self.gh.get("/repos/octo/hello/git/ref/heads/nope").status, 404)


class BranchTest(FakeGitHubTestCase):
    def test_branches_past_100_paginate_with_repositories_links(self):
        repo_id = self.hello_id()
        first = self.gh.get("/repos/octo/hello/branches?per_page=100")
        self.assertEqual(first.status, 200)
        self.assertEqual(len(first.json()), 100)
        links = link_targets(first.headers["link"])
        base = f"{self.gh.base}/repositories/{repo_id}/branches"
        self.assertEqual(links, {"next": f"{base}?per_page=100&page=2",
                                 "last": f"{base}?per_page=100&page=2"})

        second = self.gh.get_url(links["next"])
        self.assertEqual(second.status, 200)
        self.assertEqual(len(second.json()), 50)
        self.assertEqual(link_targets(second.headers["link"]),
                         {"prev": f"{base}?per_page=100&page=1",
                          "first": f"{base}?per_page=100&page=1"})

        names = [b["name"] for b in first.json() + second.json()]
        expected = sorted(["main"] + [f"feature-{i:03d}" for i in range(EXTRA_BRANCHES)])
        self.assertEqual(names, expected)
        by_endpoint = self.requests()["by_endpoint"]
        self.assertEqual(by_endpoint["GET /repositories/{id}/branches"]["count"], 1)

    def test_branch_items_have_the_short_branch_shape(self):
        sha = self.sandbox.git("--git-dir", self.sandbox.path("repos/octo/hello.git"),
                               "rev-parse", "main")
        items = self.gh.get("/repos/octo/hello/branches?per_page=100&page=2").json()
        main = [b for b in items if b["name"] == "main"][0]
        self.assertEqual(main, {
            "name": "main", "protected": False,
            "commit": {"sha": sha,
                       "url": f"{self.gh.base}/repos/octo/hello/commits/{sha}"}})

    def test_per_page_defaults_to_30_and_is_capped_at_100(self):
        default = self.gh.get("/repos/octo/hello/branches")
        self.assertEqual(len(default.json()), 30)
        self.assertIn("page=5>; rel=\"last\"", default.headers["link"])
        capped = self.gh.get("/repos/octo/hello/branches?per_page=500")
        self.assertEqual(len(capped.json()), 100)

    def test_get_branch_has_commit_sha_and_etag(self):
        sha = self.sandbox.git("-C", self.hello_work, "rev-parse", "HEAD")
        reply = self.gh.get("/repos/octo/hello/branches/main")
        self.assertEqual(reply.status, 200)
        branch = reply.json()
        self.assertEqual(branch["name"], "main")
        self.assertEqual(branch["commit"]["sha"], sha)
        self.assertEqual(branch["commit"]["commit"]["message"], "first commit")
        self.assertEqual(branch["_links"]["self"],
                         f"{self.gh.base}/repos/octo/hello/branches/main")
        self.assertIn("etag", reply.headers)
        missing = self.gh.get("/repos/octo/hello/branches/nope")
        self.assertEqual(missing.status, 404)
        self.assertEqual(missing.json()["message"], "Branch not found")

    def test_conditional_request_answers_304_without_rate_limit_cost(self):
        first = self.gh.get("/repos/octo/secret/branches/main")
        etag = first.headers["etag"]
        used = int(first.headers["x-ratelimit-used"])

        again = self.gh.get("/repos/octo/secret/branches/main",
                            headers={"If-None-Match": etag})
        self.assertEqual(again.status, 304)
        self.assertEqual(again.body, b"")
        self.assertEqual(again.headers["etag"], etag)
        self.assertEqual(int(again.headers["x-ratelimit-used"]), used)
        counted = self.requests()["by_endpoint"][
            "GET /repos/{owner}/{repo}/branches/{branch}"]
        self.assertEqual(counted, {"count": 2, "rate_limit_cost": 1,
                                   "statuses": {"200": 1, "304": 1}})

    def test_etag_changes_when_the_branch_moves(self):
        first = self.gh.get("/repos/octo/secret/branches/main")
        new_sha = self.sandbox.commit(self.secret_work, "moved.txt", "x\n", "move")
        self.sandbox.push(self.secret_work)
        moved = self.gh.get("/repos/octo/secret/branches/main",
                            headers={"If-None-Match": first.headers["etag"]})
        self.assertEqual(moved.status, 200)
        self.assertEqual(moved.json()["commit"]["sha"], new_sha)
        self.assertNotEqual(moved.headers["etag"], first.headers["etag"])

    def test_renamed_branch_answers_301_to_the_new_branch(self):
        self.gh.control("POST", "faults", {"branch_renames": [
            {"repo": "octo/hello", "from": "master", "to": "main"}]})
        reply = self.gh.get("/repos/octo/hello/branches/master")
        self.assertEqual(reply.status, 301)
        location = f"{self.gh.base}/repos/octo/hello/branches/main"
        self.assertEqual(reply.headers["location"], location)
        self.assertEqual(reply.json()["message"], "Moved Permanently")
        self.assertEqual(reply.json()["url"], location)
        followed = self.gh.get_url(reply.headers["location"])
        self.assertEqual(followed.json()["name"], "main")


class AuthTest(FakeGitHubTestCase):
    def test_private_repository_is_404_without_token(self):
        reply = self.gh.get("/repos/octo/secret", token=None)
        self.assertEqual(reply.status, 404)
        self.assertEqual(reply.json()["message"], "Not Found")
        self.assertEqual(self.gh.get("/repos/octo/secret").status, 200)

    def test_public_repository_is_readable_without_token_on_the_anonymous_limit(self):
        reply = self.gh.get("/repos/octo/hello", token=None)
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.headers["x-ratelimit-limit"], "60")

    def test_wrong_token_is_401_bad_credentials(self):
        reply = self.gh.get("/repos/octo/hello", token="ghp_wrong")
        self.assertEqual(reply.status, 401)
        self.assertEqual(reply.json()["message"], "Bad credentials")

    def test_token_scheme_is_accepted_too(self):
        reply = self.gh.get("/repos/octo/secret", token=None,
                            headers={"Authorization": f"token {TOKEN}"})
        self.assertEqual(reply.status, 200)

    def test_expired_token_is_401(self):
        self.gh.control("POST", "tokens/expire", {"token": TOKEN})
        reply = self.gh.get("/repos/octo/secret")
        self.assertEqual(reply.status, 401)
        self.assertEqual(reply.json()["message"], "Bad credentials")

    def test_token_added_through_control_api_expires_by_itself(self):
        self.gh.control("POST", "tokens", {"token": "ghp_short", "expires_in": 0.3})
        self.assertEqual(self.gh.get("/repos/octo/secret", token="ghp_short").status, 200)
        time.sleep(0.4)
        self.assertEqual(self.gh.get("/repos/octo/secret", token="ghp_short").status, 401)


class AppTest(FakeGitHubTestCase):
    def exchange(self, jwt: str, installation: int = INSTALLATION_ID) -> Reply:
        return self.gh.request(
            "POST", f"/app/installations/{installation}/access_tokens", token=jwt)

    def test_jwt_is_exchanged_for_a_working_installation_token(self):
        reply = self.exchange(sign_jwt(self.app_key, app_claims()))
        self.assertEqual(reply.status, 201)
        body = reply.json()
        self.assertRegex(body["token"], r"^ghs_[A-Za-z0-9]{36}$")
        expires = datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ") \
            .replace(tzinfo=timezone.utc).timestamp()
        self.assertAlmostEqual(expires, time.time() + 3600, delta=5)
        self.assertEqual(self.gh.get("/repos/octo/secret", token=body["token"]).status, 200)

    def test_installation_token_expires(self):
        self.gh.control("POST", "app", {"token_ttl_seconds": 0.5})
        token = self.exchange(sign_jwt(self.app_key, app_claims())).json()["token"]
        self.assertEqual(self.gh.get("/repos/octo/secret", token=token).status, 200)
        time.sleep(0.6)
        expired = self.gh.get("/repos/octo/secret", token=token)
        self.assertEqual(expired.status, 401)
        self.assertEqual(expired.json()["message"], "Bad credentials")

    def test_repository_installation_is_found_with_a_jwt(self):
        reply = self.gh.request("GET", "/repos/octo/secret/installation",
                                token=sign_jwt(self.app_key, app_claims()))
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.json()["id"], INSTALLATION_ID)
        self.assertEqual(reply.json()["app_id"], APP_ID)

    def test_bad_jwts_are_refused(self):
        now = int(time.time())
        cases = {
            "signed by another key": sign_jwt(self.stranger_key, app_claims()),
            "exp over 10 minutes": sign_jwt(self.app_key, app_claims(exp=now + 1200)),
            "expired": sign_jwt(self.app_key, app_claims(iat=now - 700, exp=now - 100)),
            "another app": sign_jwt(self.app_key, app_claims(iss="999")),
            "not RS256": sign_jwt(self.app_key, app_claims(), alg="HS256"),
            "not a JWT": "garbage",
            "a token, not a JWT": TOKEN,
        }
        for name, jwt in cases.items():
            with self.subTest(name):
                self.assertEqual(self.exchange(jwt).status, 401)
        self.assertEqual(self.gh.request(
            "POST", f"/app/installations/{INSTALLATION_ID}/access_tokens").status, 401)

    def test_unknown_installation_is_404(self):
        reply = self.exchange(sign_jwt(self.app_key, app_claims()), installation=5)
        self.assertEqual(reply.status, 404)


class RateLimitTest(FakeGitHubTestCase):
    def test_exhausted_primary_limit_answers_403_until_reset(self):
        self.gh.control("POST", "rate_limit", {"remaining": 0, "reset_in": 120})
        reply = self.gh.get("/repos/octo/hello")
        self.assertEqual(reply.status, 403)
        self.assertEqual(reply.headers["x-ratelimit-remaining"], "0")
        self.assertGreater(int(reply.headers["x-ratelimit-reset"]), time.time() + 100)
        self.assertTrue(reply.json()["message"].startswith("API rate limit exceeded for"))
        self.assertEqual(self.requests()["rate_limit_cost"], 0)

    def test_primary_limit_can_answer_429(self):
        self.gh.control("POST", "rate_limit",
                        {"remaining": 0, "reset_in": 60, "status": 429})
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 429)

    def test_limit_runs_out_by_use_and_refills_after_reset(self):
        self.gh.control("POST", "rate_limit", {"limit": 2, "remaining": 2, "reset_in": 1})
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 200)
        last = self.gh.get("/repos/octo/hello")
        self.assertEqual(last.headers["x-ratelimit-remaining"], "0")
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 403)
        reset = int(last.headers["x-ratelimit-reset"])
        time.sleep(max(0.0, reset - time.time()) + 0.05)
        again = self.gh.get("/repos/octo/hello")
        self.assertEqual(again.status, 200)
        self.assertEqual(again.headers["x-ratelimit-remaining"], "1")

    def test_rate_limit_endpoint_costs_nothing(self):
        self.gh.get("/repos/octo/hello")
        first = self.gh.get("/rate_limit").json()
        second = self.gh.get("/rate_limit").json()
        self.assertEqual(first["resources"]["core"]["used"], 1)
        self.assertEqual(second["resources"]["core"]["used"], 1)
        self.assertEqual(second["rate"], second["resources"]["core"])

    def test_secondary_limit_403_with_retry_after_then_recovers(self):
        self.gh.control("POST", "faults", {"secondary_rate_limit": {
            "status": 403, "retry_after": 60, "count": 1}})
        limited = self.gh.get("/repos/octo/hello")
        self.assertEqual(limited.status, 403)
        self.assertEqual(limited.headers["retry-after"], "60")
        self.assertNotEqual(limited.headers["x-ratelimit-remaining"], "0")
        self.assertTrue(limited.json()["message"].startswith(
            "You have exceeded a secondary rate limit"))
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 200)

    def test_secondary_limit_429_without_retry_after(self):
        self.gh.control("POST", "faults", {"secondary_rate_limit": {
            "status": 429, "count": 2}})
        for _ in range(2):
            limited = self.gh.get("/repos/octo/hello")
            self.assertEqual(limited.status, 429)
            self.assertNotIn("retry-after", limited.headers)
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 200)


    def test_forbidden_is_a_plain_403_with_quota_left(self):
        self.gh.control("POST", "faults", {"forbidden": {"count": 1}})
        denied = self.gh.get("/repos/octo/hello")
        self.assertEqual(denied.status, 403)
        self.assertEqual(denied.json()["message"], "Resource not accessible by integration")
        self.assertNotIn("retry-after", denied.headers)
        self.assertNotEqual(denied.headers["x-ratelimit-remaining"], "0")
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 200)

    def test_forbidden_takes_a_message_and_only_the_rest_scope(self):
        self.gh.control("POST", "faults", {"forbidden": {"message": "Must have admin rights"}})
        self.assertEqual(self.gh.get("/repos/octo/hello").json()["message"], "Must have admin rights")
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 403)  # until cleared
        refused = self.gh.request("POST", "/_fake/faults", body={"forbidden": {"scope": "git"}})
        self.assertEqual(refused.status, 400)
        self.gh.control("POST", "faults", {"forbidden": None})
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 200)


class FaultTest(FakeGitHubTestCase):
    def test_burst_of_server_errors(self):
        self.gh.control("POST", "faults", {"server_errors": {"status": 502, "count": 2}})
        statuses = [self.gh.get("/repos/octo/hello").status for _ in range(3)]
        self.assertEqual(statuses, [502, 502, 200])
        self.gh.control("POST", "faults", {"server_errors": {"status": 503, "count": 1}})
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 503)
        self.assertEqual(self.requests()["rate_limit_cost"], 1)

    def test_slow_responses(self):
        self.gh.control("POST", "faults", {"delay_ms": {"ms": 300}})
        started = time.monotonic()
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_deep_json_answers_nested_arrays_once(self):
        self.gh.control("POST", "faults", {"deep_json": {"levels": 5000, "count": 1}})
        deep = self.gh.get("/repos/octo/hello")
        self.assertEqual(deep.status, 200)
        self.assertEqual(deep.body, b"[" * 5000 + b"]" * 5000)
        self.assertEqual(self.gh.get("/repos/octo/hello").json()["full_name"], "octo/hello")
        refused = self.gh.request("POST", "/_fake/faults", body={"deep_json": {"levels": 0}})
        self.assertEqual(refused.status, 400)

    def test_faults_clear_and_reset(self):
        self.gh.control("POST", "faults", {"server_errors": {"status": 500}})
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 500)
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 500)
        self.gh.control("POST", "faults", {"server_errors": None})
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 200)
        self.gh.control("POST", "faults", {"server_errors": {"status": 500}})
        cleared = self.gh.control("DELETE", "faults")
        self.assertIsNone(cleared["server_errors"])
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 200)
        self.gh.control("POST", "reset")
        self.assertEqual(self.requests()["total"], 0)

    def test_bad_fault_request_is_400_and_changes_nothing(self):
        reply = self.gh.request("POST", "/_fake/faults",
                                body={"server_errors": {"status": 200}})
        self.assertEqual(reply.status, 400)
        self.assertIn("status", reply.json()["error"])
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 200)


class GitSmartHttpTest(FakeGitHubTestCase):
    def url(self, repo: str, token=None) -> str:
        credentials = f"x-access-token:{token}@" if token else ""
        return f"http://{credentials}127.0.0.1:{self.gh.port}/octo/{repo}.git"

    def test_clone_then_fetch_a_private_repository_with_a_token(self):
        clone = self.sandbox.path("clones", "secret")
        self.sandbox.git("clone", "-q", self.url("secret", TOKEN), clone)
        bare = self.sandbox.path("repos/octo/secret.git")
        self.assertEqual(self.sandbox.git("-C", clone, "rev-parse", "HEAD"),
                         self.sandbox.git("--git-dir", bare, "rev-parse", "main"))

        new_sha = self.sandbox.commit(self.secret_work, "fetched.txt", "y\n", "fetch me")
        self.sandbox.push(self.secret_work)
        self.sandbox.git("-C", clone, "fetch", "-q", "origin")
        self.assertEqual(self.sandbox.git("-C", clone, "rev-parse", "origin/main"), new_sha)

        counts = self.requests()
        self.assertGreaterEqual(
            counts["by_endpoint"]["POST /{owner}/{repo}.git/git-upload-pack"]["count"], 2)
        self.assertEqual(counts["rate_limit_cost"], 0)

    def test_mirror_of_150_branches_sends_a_gzip_request(self):
        mirror = self.sandbox.path("clones", "hello-mirror")
        self.sandbox.git("clone", "-q", "--mirror", self.url("hello", TOKEN), mirror)
        branches = self.sandbox.git("--git-dir", mirror, "for-each-ref",
                                    "--format=%(refname)", "refs/heads/")
        self.assertEqual(len(branches.splitlines()), EXTRA_BRANCHES + 1)
        encodings = {r["content_encoding"] for r in self.requests()["log"]
                     if r["endpoint"].endswith("git-upload-pack")}
        self.assertIn("gzip", encodings)

    def test_large_fetch_request_arrives_chunked(self):
        # Over http.postBuffer (64 KiB at least), git streams the request
        # with Transfer-Encoding: chunked; 1,500 wants are about 100 KiB.
        self.sandbox.make_repo("octo", "many", extra_branches=1500)
        mirror = self.sandbox.path("clones", "many-mirror")
        self.sandbox.git("-c", "http.postBuffer=65536", "clone", "-q", "--mirror",
                         self.url("many"), mirror)
        refs = self.sandbox.git("--git-dir", mirror, "for-each-ref", "refs/heads/")
        self.assertEqual(len(refs.splitlines()), 1501)
        framings = {r["transfer_encoding"] for r in self.requests()["log"]
                    if r["endpoint"].endswith("git-upload-pack")}
        self.assertIn("chunked", framings)

    def test_installation_token_clones(self):
        jwt = sign_jwt(self.app_key, app_claims())
        token = self.gh.request(
            "POST", f"/app/installations/{INSTALLATION_ID}/access_tokens",
            token=jwt).json()["token"]
        result = self.sandbox.run("git", "ls-remote", self.url("secret", token))
        self.assertIn(b"refs/heads/main", result.stdout)

    def test_private_repository_needs_a_valid_token(self):
        anonymous = self.sandbox.run("git", "ls-remote", self.url("secret"), check=False)
        self.assertNotEqual(anonymous.returncode, 0)
        wrong = self.sandbox.run("git", "ls-remote", self.url("secret", "ghp_wrong"),
                                 check=False)
        self.assertNotEqual(wrong.returncode, 0)
        # git asks anonymously first, then with the URL's credentials.
        statuses = self.requests()["by_endpoint"][
            "GET /{owner}/{repo}.git/info/refs"]["statuses"]
        self.assertEqual(list(statuses), ["401"])
        self.assertGreaterEqual(statuses["401"], 2)

    def test_public_repository_clones_anonymously_and_push_is_refused(self):
        listed = self.sandbox.run("git", "ls-remote", self.url("hello"))
        self.assertIn(b"refs/heads/main", listed.stdout)
        push = self.sandbox.run("git", "-C", self.hello_work, "push",
                                self.url("hello", TOKEN), "main:refs/heads/pushed",
                                check=False)
        self.assertNotEqual(push.returncode, 0)

    def test_git_server_errors_when_scoped_to_git(self):
        self.gh.control("POST", "faults",
                        {"server_errors": {"status": 503, "count": 1, "scope": "git"}})
        self.assertEqual(self.gh.get("/repos/octo/hello").status, 200)
        failed = self.sandbox.run("git", "ls-remote", self.url("hello"), check=False)
        self.assertNotEqual(failed.returncode, 0)
        self.sandbox.run("git", "ls-remote", self.url("hello"))


class ConnectionTest(FakeGitHubTestCase):
    def test_keep_alive_serves_several_requests_on_one_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.gh.port, timeout=10)
        try:
            conn.request("GET", "/repos/octo/hello",
                         headers={"Authorization": f"Bearer {TOKEN}"})
            first = conn.getresponse()
            first.read()
            self.assertFalse(first.will_close)
            sock = conn.sock
            conn.request("GET", "/repos/octo/hello/branches/main",
                         headers={"Authorization": f"Bearer {TOKEN}"})
            second = conn.getresponse()
            self.assertEqual(json.loads(second.read())["name"], "main")
            self.assertIs(conn.sock, sock)
        finally:
            conn.close()


class LifecycleTest(unittest.TestCase):
    """Each test starts its own server."""

    def setUp(self):
        self.sandbox = Sandbox()
        self.sandbox.make_repo("octo", "hello")

    def tearDown(self):
        self.sandbox.remove()

    def test_sigterm_stops_the_server(self):
        gh = FakeGitHubProcess(self.sandbox, {}).start()
        self.assertEqual(gh.get("/repos/octo/hello", token=None).status, 200)
        self.assertEqual(gh.stop(), 0)
        with self.assertRaises(ConnectionRefusedError):
            gh.get("/repos/octo/hello", token=None)

    def start_orphanable_server(self, via_shell: bool):
        """A parent process that starts the server, reports the server's pid
        and port, then hangs. via_shell starts it the way popen() does,
        under `sh -c`, naming the parent with --parent-pid."""
        launcher = (
            "import os, shlex, subprocess, sys\n"
            f"command = {[sys.executable, SERVER_SCRIPT, '--repos-dir', self.sandbox.repos]!r}\n"
            "if len(sys.argv) > 1:\n"
            "    command = ['sh', '-c', shlex.join(command + ['--parent-pid', str(os.getpid())])"
            " + ' & echo $! >&2; wait']\n"
            "p = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
            "pid = int(p.stderr.readline()) if len(sys.argv) > 1 else p.pid\n"
            "print(pid, p.stdout.readline().decode().strip(), flush=True)\n"
            "import time; time.sleep(60)\n")
        args = [sys.executable, "-c", launcher] + (["via-shell"] if via_shell else [])
        return subprocess.Popen(args, stdout=subprocess.PIPE, env=self.sandbox.env)

    def test_control_shutdown_stops_the_server(self):
        gh = FakeGitHubProcess(self.sandbox, {}).start()
        self.assertEqual(gh.control("POST", "shutdown"), {"ok": True})
        self.assertEqual(gh.proc.wait(timeout=10), 0)
        gh.stop()

    def test_server_stops_when_its_parent_dies(self):
        for via_shell in (False, True):
            with self.subTest(via_shell=via_shell):
                parent = self.start_orphanable_server(via_shell)
                try:
                    pid_text, ready, _port = parent.stdout.readline().decode().split()
                    self.assertEqual(ready, "READY")
                    server_pid = int(pid_text)
                    self.assertFalse(process_is_gone(server_pid))
                finally:
                    parent.kill()
                    parent.wait()
                    parent.stdout.close()
                self.assertTrue(wait_until(lambda: process_is_gone(server_pid), 5.0),
                                "the server outlived its parent")

    def test_port_file_and_enterprise_api_prefix(self):
        port_file = self.sandbox.path("port")
        gh = FakeGitHubProcess(self.sandbox, {"tokens": [TOKEN]}, [
            "--port-file", port_file, "--api-prefix", "/api/v3"]).start()
        try:
            with open(port_file, encoding="ascii") as handle:
                self.assertEqual(int(handle.read()), gh.port)
            repo = gh.get("/api/v3/repos/octo/hello")
            self.assertEqual(repo.status, 200)
            self.assertEqual(repo.json()["url"], f"{gh.base}/api/v3/repos/octo/hello")
            self.assertEqual(repo.json()["clone_url"], f"{gh.base}/octo/hello.git")
            self.assertEqual(gh.get("/repos/octo/hello").status, 404)
        finally:
            gh.stop()

    def test_repository_id_is_stable_across_restarts(self):
        ids = []
        for _ in range(2):
            gh = FakeGitHubProcess(self.sandbox, {}).start()
            try:
                ids.append(gh.get("/repos/octo/hello", token=None).json()["id"])
            finally:
                gh.stop()
        self.assertEqual(ids[0], ids[1])

    def test_bad_configuration_exits_with_status_2(self):
        bad = self.sandbox.path("bad.json")
        with open(bad, "w", encoding="utf-8") as out:
            out.write('{"faults": {"nonsense": 1}}')
        result = subprocess.run(
            [sys.executable, SERVER_SCRIPT, "--repos-dir", self.sandbox.repos,
             "--config", bad], capture_output=True, timeout=10, check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"nonsense", result.stderr)

    def test_binds_to_loopback_only(self):
        gh = FakeGitHub(self.sandbox.repos)
        server = FakeGitHubServer(gh, 0)
        try:
            self.assertEqual(server.socket.getsockname()[0], "127.0.0.1")
        finally:
            server.server_close()
            gh.close()


if __name__ == "__main__":
    unittest.main()
