"""The HTTP server: loopback only, HTTP/1.1 keep-alive, one thread per
connection; and its lifecycle (stop on SIGTERM/SIGINT or when the parent
process dies, so a crashed test never leaves a stray server).

Requests are routed by path: /_fake/... to the control API, git smart HTTP
paths to `git http-backend`, everything else to the REST API.
"""

import os
import signal
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import auth, git_http
from .counters import RequestRecord
from .http_util import (BadRequestBody, Response, drain_request_body,
                        github_error, iter_request_body, read_request_body)
from .rest import RestRequest

LOOPBACK = "127.0.0.1"  # never anything else: the control API has no auth
PARENT_POLL_SECONDS = 0.2


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer is framed
    timeout = 120                  # an idle keep-alive connection ends

    def version_string(self) -> str:
        return "GitHub.com"

    def log_message(self, format, *args) -> None:  # noqa: A002 (base name)
        if self.server.verbose:
            sys.stderr.write("fake_github: " + (format % args) + "\n")

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self) -> None:
        path, _, query = self.path.partition("?")
        try:
            if path == "/_fake" or path.startswith("/_fake/"):
                self._serve_control(path)
            elif (git_path := git_http.match_git_path(path)) is not None:
                self._serve_git(git_path, query)
            else:
                self._serve_rest(path, query)
        except BadRequestBody as error:
            self.close_connection = True  # the stream is out of step now
            self._send(Response(400, str(error).encode("utf-8"),
                                {"content-type": "text/plain; charset=utf-8"}))
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        bodiless = response.status == 304 or self.command == "HEAD"
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not bodiless:
            self.wfile.write(response.body)

    def _serve_control(self, path: str) -> None:
        body = read_request_body(self.rfile, self.headers)
        response = self.server.gh.control.handle(self.command, path, body)
        self._send(response)
        if (self.command, path.rstrip("/")) == ("POST", "/_fake/shutdown") and response.status == 200:
            # Only now that the answer is out: the serving loop then ends
            # the process, and this (daemon) thread with it.
            self.server.gh.shutdown_requested.set()

    def _serve_rest(self, path: str, query: str) -> None:
        gh = self.server.gh
        body = read_request_body(self.rfile, self.headers)
        if gh.api_prefix:
            if not path.startswith(gh.api_prefix + "/"):
                self._send(github_error(404, "Not Found"))
                return
            path = path[len(gh.api_prefix):]
        response, record = gh.rest.handle(
            RestRequest(self.command, path, query, self.headers, body))
        # Counted before the answer leaves: a test reading the counters
        # right after its request must see it.
        gh.counters.record(record)
        self._send(response)

    def _serve_git(self, git_path: git_http.GitPath, query: str) -> None:
        gh = self.server.gh
        refusal, record, identity = git_http.injected_fault(gh), None, auth.ANONYMOUS
        if refusal is None:
            refusal, record, identity = git_http.check_access(
                gh, git_path, query, self.headers)
        counted = RequestRecord(
            self.command, self.path, git_path.endpoint(self.command), 0, False,
            identity.kind, self.headers.get("Content-Encoding"),
            self.headers.get("Transfer-Encoding"))
        if refusal is not None:
            drain_request_body(self.rfile, self.headers)
            counted.status = refusal.status
            gh.counters.record(counted)
            self._send(refusal)
            return
        cgi = git_http.CgiRequest(
            project_root=gh.repos.root,
            path_info=f"/{record.owner}/{record.name}.git/{git_path.service}",
            query=query, method=self.command, headers=self.headers,
            authenticated=identity.authenticated)
        git_http.run_http_backend(cgi, iter_request_body(self.rfile, self.headers),
                                  _ChunkedWriter(self, gh.counters, counted))


class _ChunkedWriter:
    """Streams a CGI answer as a chunked HTTP/1.1 response."""

    def __init__(self, handler: Handler, counters, record: RequestRecord):
        self.handler, self.counters, self.record = handler, counters, record

    def start(self, status: int, headers: list) -> None:
        self.record.status = status
        self.counters.record(self.record)
        self.handler.send_response(status)
        for name, value in headers:
            self.handler.send_header(name, value)
        self.handler.send_header("Transfer-Encoding", "chunked")
        self.handler.end_headers()

    def write_chunk(self, data: bytes) -> None:
        self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def finish(self) -> None:
        self.handler.wfile.write(b"0\r\n\r\n")


class FakeGitHubServer(ThreadingHTTPServer):
    daemon_threads = True      # open keep-alive connections never block exit
    request_queue_size = 64

    def __init__(self, gh, port: int = 0, verbose: bool = False):
        self.gh = gh
        self.verbose = verbose
        super().__init__((LOOPBACK, port), Handler)
        gh.bind(self.server_address[1])

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall
        # on a machine without DNS; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "localhost", self.server_address[1]

    @property
    def port(self) -> int:
        return self.server_address[1]


def process_alive(pid: int) -> bool:
    """False once pid has exited, also while it is an unreaped zombie
    (containers often run without an init that reaps)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
        return state not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True


def parent_watch(parent_pid=None):
    """A function telling whether the process we serve is still there.

    Without parent_pid: our parent, by os.getppid() (a dead parent makes
    us an orphan, adopted by another process). popen() runs us under
    `sh -c`, which outlives a dead test, so a caller either runs us with
    `exec` or names itself with --parent-pid. PR_SET_PDEATHSIG is not used:
    it fires when the *thread* that started us ends, and a C++ test may
    well start the server from a short-lived thread."""
    if parent_pid is not None:
        return lambda: process_alive(parent_pid)
    parent = os.getppid()
    return lambda: os.getppid() == parent


def serve_until_stopped(server: FakeGitHubServer, parent_alive) -> None:
    """Serve until SIGTERM/SIGINT, POST /_fake/shutdown, or until
    parent_alive() turns false."""
    # The signal handler only sets a flag: a handler that takes a lock (as
    # Event.set does) deadlocks when the signal lands while the main thread
    # holds that same lock, in Event.wait for instance.
    stop_requested = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop_requested.append(True))
    serving = threading.Thread(target=server.serve_forever,
                               kwargs={"poll_interval": 0.1}, daemon=True)
    serving.start()
    while not (stop_requested or server.gh.shutdown_requested.is_set()) \
            and parent_alive():
        time.sleep(PARENT_POLL_SECONDS)
    server.shutdown()
    server.server_close()
