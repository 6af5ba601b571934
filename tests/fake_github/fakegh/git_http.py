"""Git smart HTTP (clone and fetch) through `git http-backend` as a CGI.

Paths as on GitHub: /{owner}/{name}.git/info/refs?service=git-upload-pack
and /{owner}/{name}.git/git-upload-pack (".git" optional). Pushing is
refused: the fake is read-only (tests change repositories on disk).

The request body is streamed into the CGI, never held whole: a fetch can
send megabytes of "have" lines, chunked. A gzip-encoded body (git gzips
requests over 1 KiB) is passed through with HTTP_CONTENT_ENCODING, which
http-backend inflates itself. The CGI's output is streamed back with
chunked transfer encoding, so a keep-alive connection stays usable.

Thread safety: each request runs its own http-backend process.
"""

import re
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Iterator, Optional, Protocol

from . import auth
from .http_util import READ_SIZE, BadRequestBody, Response
from .repos import git_environment

GIT_PATH = re.compile(
    r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?/"
    r"(?P<service>info/refs|git-upload-pack|git-receive-pack)$")

# Request headers never handed to the CGI: credentials stay in the server.
PRIVATE_HEADERS = {"authorization", "cookie", "proxy-authorization"}


@dataclass(frozen=True)
class GitPath:
    owner: str
    repo: str
    service: str  # "info/refs" | "git-upload-pack" | "git-receive-pack"

    def endpoint(self, method: str) -> str:
        return f"{method} /{{owner}}/{{repo}}.git/{self.service}"


def match_git_path(path: str) -> Optional[GitPath]:
    found = GIT_PATH.match(path)
    return GitPath(**found.groupdict()) if found else None


def is_push(git_path: GitPath, query: str) -> bool:
    return (git_path.service == "git-receive-pack"
            or "service=git-receive-pack" in query)


@dataclass
class CgiRequest:
    project_root: str
    path_info: str       # /owner/name.git/info/refs, as on disk
    query: str
    method: str
    headers: object      # email.message.Message
    authenticated: bool


def cgi_environment(req: CgiRequest) -> dict:
    env = git_environment()
    for inherited in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(inherited, None)
    env.update({
        "GIT_PROJECT_ROOT": req.project_root,
        "GIT_HTTP_EXPORT_ALL": "1",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_METHOD": req.method,
        "PATH_INFO": req.path_info,
        "QUERY_STRING": req.query,
        "CONTENT_TYPE": req.headers.get("Content-Type", ""),
        "REMOTE_ADDR": "127.0.0.1",
    })
    if req.authenticated:
        env["REMOTE_USER"] = "x-access-token"
    length = req.headers.get("Content-Length")
    if length and "chunked" not in req.headers.get("Transfer-Encoding", "").lower():
        env["CONTENT_LENGTH"] = length
    # Without CONTENT_LENGTH, http-backend reads the body until EOF.
    for name, value in req.headers.items():
        if name.lower() not in PRIVATE_HEADERS:
            env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


class CgiResponseWriter(Protocol):
    """What run_http_backend needs from the HTTP handler."""

    def start(self, status: int, headers: list) -> None: ...
    def write_chunk(self, data: bytes) -> None: ...
    def finish(self) -> None: ...


def run_http_backend(req: CgiRequest, body: Iterator[bytes],
                     out: CgiResponseWriter) -> int:
    """Run http-backend for one request; stream body in and the answer out
    through `out`. Returns the HTTP status sent."""
    proc = subprocess.Popen(["git", "http-backend"], env=cgi_environment(req),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    feeder = threading.Thread(target=_feed, args=(proc.stdin, body), daemon=True)
    drainer = threading.Thread(target=proc.stderr.read, daemon=True)
    feeder.start()
    drainer.start()
    try:
        status, headers = _read_cgi_headers(proc.stdout)
        out.start(status, headers)
        while True:
            data = proc.stdout.read1(READ_SIZE)
            if not data:
                break
            out.write_chunk(data)
        out.finish()
        return status
    finally:
        proc.stdout.close()
        feeder.join()
        drainer.join()
        proc.wait()


def _feed(stdin, body: Iterator[bytes]) -> None:
    """Copy the request body into the CGI. If the CGI stops reading (an
    error), keep draining the body: the connection must stay in sync."""
    sink_open = True
    try:
        for data in body:
            if sink_open:
                try:
                    stdin.write(data)
                except (BrokenPipeError, OSError):
                    sink_open = False
    except BadRequestBody:
        pass  # the client broke off; the CGI sees EOF
    finally:
        try:
            stdin.close()
        except OSError:
            pass


def _read_cgi_headers(stdout):
    """CGI header lines up to the blank line: (status, [(name, value)]).
    A CGI that dies before any header is a 500."""
    status, headers, seen_any = 200, [], False
    while True:
        line = stdout.readline()
        if not line and not seen_any:
            return 500, []
        if not line or line in (b"\r\n", b"\n"):
            break
        seen_any = True
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip(), value.strip()
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name.lower() not in ("content-length", "transfer-encoding"):
            headers.append((name, value))
    return status, headers


def _text(status: int, message: str, headers=None) -> Response:
    return Response(status, message.encode("utf-8"),
                    {"content-type": "text/plain; charset=utf-8", **(headers or {})})


# GitHub asks for credentials (401 + WWW-Authenticate) instead of saying a
# repository is private or missing; git and libgit2 then call their
# credential helper or callback.
ASK_FOR_CREDENTIALS = {"www-authenticate": 'Basic realm="GitHub"'}


def check_access(gh, git_path: GitPath, query: str, headers):
    """Decide whether a git request may run, as GitHub would.
    Returns (refusal Response or None, RepoRecord, Identity)."""
    if is_push(git_path, query):
        return _text(403, "Write access to repository not granted.\n"), None, auth.ANONYMOUS
    identity = auth.ANONYMOUS
    token = auth.token_from_rest_header(headers.get("Authorization"))
    if token is not None:
        state, entry = gh.tokens.check(token)
        if state != auth.VALID:
            return _text(401, "Invalid username or token. Password authentication "
                              "is not supported for Git operations.\n",
                         ASK_FOR_CREDENTIALS), None, identity
        identity = entry.identity()
    record = gh.repos.find(git_path.owner, git_path.repo)
    hidden = record is None or (record.private and not identity.authenticated)
    if hidden and not identity.authenticated:
        return _text(401, "", ASK_FOR_CREDENTIALS), None, identity
    if hidden:
        return _text(404, "Repository not found.\n"), None, identity
    return None, record, identity


def injected_fault(gh) -> Optional[Response]:
    """Fault switches scoped to git ("git" or "all"), in the REST order."""
    delay = gh.faults.take_delay_seconds("git")
    if delay:
        time.sleep(delay)
    status = gh.faults.take_server_error("git")
    if status is not None:
        return _text(status, "Server Error\n")
    secondary = gh.faults.take_secondary_limit("git")
    if secondary is not None:
        headers = {}
        if secondary["retry_after"] is not None:
            headers["retry-after"] = str(secondary["retry_after"])
        return _text(secondary["status"],
                     "You have exceeded a secondary rate limit.\n", headers)
    return None
