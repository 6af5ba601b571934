#!/usr/bin/env python3
"""A local git server over smart HTTP: git's own `git http-backend` (CGI)
behind basic authentication, for the git-remote provider's tests.

  git_http_server.py --root DIR [--user U --password P] [--stall] [--tls CERT KEY] [--parent-pid PID]

Serves every repository under DIR (GIT_PROJECT_ROOT, all exported) and
prints "READY <port>" once it listens on 127.0.0.1. With --user and
--password every request must carry them (else 401 with a Basic challenge);
each request's outcome is appended to DIR/../http-requests.log as
"<method> <path> <status> <user or ->". With --stall it accepts
connections and never answers (a server that hangs). With --tls it speaks
HTTPS with that certificate and key. It exits when the process --parent-pid
names is gone.
"""
import argparse
import base64
import os
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
log_lock = threading.Lock()


def log_request(line):
    with log_lock:
        with open(os.path.join(os.path.dirname(os.path.abspath(args.root)), "http-requests.log"), "a") as f:
            f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *unused):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0") or "0"))

    def answer(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_git(self):
        if args.stall:
            time.sleep(3600)
            return
        body = self.read_body()
        user = "-"
        if args.user is not None:
            given = self.headers.get("Authorization", "")
            expected = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
            if given != expected:
                log_request(f"{self.command} {self.path} 401 {'wrong' if given else '-'}")
                self.answer(401, [("WWW-Authenticate", 'Basic realm="git"')], b"authentication required\n")
                return
            user = args.user
        path, _, query = self.path.partition("?")
        env = dict(os.environ, GIT_PROJECT_ROOT=os.path.abspath(args.root), GIT_HTTP_EXPORT_ALL="1",
                   PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD=self.command,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""), CONTENT_LENGTH=str(len(body)),
                   REMOTE_USER=user, REMOTE_ADDR="127.0.0.1", GATEWAY_INTERFACE="CGI/1.1")
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        run = subprocess.run(["git", "http-backend"], input=body, capture_output=True, env=env)
        head, _, content = run.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, content = run.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        log_request(f"{self.command} {path} {status} {user}")
        self.answer(status, headers, content)

    do_GET = handle_git
    do_POST = handle_git


def main():
    global args
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--stall", action="store_true")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--parent-pid", type=int)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    if args.parent_pid:
        def watch():
            while True:
                try:
                    os.kill(args.parent_pid, 0)
                except OSError:
                    os._exit(0)
                time.sleep(0.5)
        threading.Thread(target=watch, daemon=True).start()
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
