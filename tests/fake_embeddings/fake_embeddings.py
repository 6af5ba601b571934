#!/usr/bin/env python3
"""A local stand-in for embedding services, for the embeddings analyzer's tests.

    python3 fake_embeddings.py [--port 0] [--dimensions 8] [--parent-pid PID]

Speaks the three APIs the analyzer uses, on 127.0.0.1:
  POST /v1/embeddings  OpenAI-compatible: {"model", "input": [..]} ->
                       {"object": "list", "data": [{"object": "embedding",
                       "index": i, "embedding": [..]}], "model", "usage"}
                       (data in reverse order: clients must use "index")
  POST /api/embed      Ollama: {"model", "input": [..], "truncate"} ->
                       {"model", "embeddings": [[..]]}
  POST /embed          text-embeddings-inference: {"inputs": [..]} -> [[..]]
A text's vector is a pure function of its bytes (SHA-256 spread over the
dimensions), so the same text always gets the same vector.

It counts every input it embeds (only in answers that succeeded), and has
fault switches, set with POST /_fake/faults (a JSON object; each key
replaces the one before):
  {"status": 429 | 500 | ..., "times": N, "retry_after": S}
                       the next N embedding requests get that status (with
                       Retry-After: S when given)
  {"max_batch": N}     a request of more than N inputs gets 413
  {"refuse": "TEXT"}   a request with an input containing TEXT gets 400
  {"key": "K"}         requests without "Authorization: Bearer K" get 401
  {"slow_ms": N}       every embedding answer waits N ms first
  {"hang_after": N}    once N inputs were embedded, requests hang (until
                       reset); for killing a client mid-batch
Control: GET /_fake/counts -> {"inputs": N, "requests": N, "by_text":
{sha256: count}, "by_model": {model: inputs}, "batches": [sizes],
"statuses": {"200": N, ..},
"authorization": [the last request's header, "" when absent]};
POST /_fake/reset clears counts and faults; POST /_fake/exit stops it.

Prints "READY <port>" on stdout once it listens; stops on SIGTERM, and
within 0.2 s when its parent (or --parent-pid) dies. Standard library only.
"""

import argparse
import hashlib
import http.server
import json
import os
import signal
import struct
import sys
import threading
import time


class State:
    def __init__(self, dimensions):
        self.dimensions = dimensions
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.inputs = 0
        self.requests = 0
        self.by_text = {}
        self.by_model = {}
        self.batches = []
        self.statuses = {}
        self.faults = {}
        self.authorization = []

    def vector(self, text):
        out = []
        seed = text.encode("utf-8")
        counter = 0
        while len(out) < self.dimensions:
            digest = hashlib.sha256(seed + struct.pack("<I", counter)).digest()
            for i in range(0, 32, 4):
                (n,) = struct.unpack("<I", digest[i:i + 4])
                out.append(n / 2**32 * 2 - 1)
            counter += 1
        return out[: self.dimensions]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        with self.state.lock:
            if self.path in ("/v1/embeddings", "/api/embed", "/embed"):
                self.state.statuses[str(status)] = self.state.statuses.get(str(status), 0) + 1

    def do_GET(self):
        if self.path == "/_fake/counts":
            s = self.state
            with s.lock:
                body = {"inputs": s.inputs, "requests": s.requests, "by_text": dict(s.by_text),
                        "by_model": dict(s.by_model),
                        "batches": list(s.batches), "statuses": dict(s.statuses),
                        "authorization": list(s.authorization)}
            return self.answer(200, body)
        self.answer(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        s = self.state
        if self.path == "/_fake/reset":
            with s.lock:
                s.reset()
            return self.answer(200, {})
        if self.path == "/_fake/exit":
            self.answer(200, {})
            self.wfile.flush()
            os._exit(0)
        if self.path == "/_fake/faults":
            with s.lock:
                s.faults.update(json.loads(raw or b"{}"))
            return self.answer(200, {})
        if self.path not in ("/v1/embeddings", "/api/embed", "/embed"):
            return self.answer(404, {"error": "not found"})
        try:
            request = json.loads(raw)
        except ValueError:
            return self.answer(400, {"error": "body is not JSON"})
        texts = request.get("inputs" if self.path == "/embed" else "input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return self.answer(400, {"error": "input must be a list of strings"})
        if self.path != "/embed" and not request.get("model"):
            return self.answer(400, {"error": "model is required"})
        if self.path == "/api/embed" and request.get("truncate") is not False:
            return self.answer(400, {"error": "the fake wants truncate: false"})
        with s.lock:
            s.requests += 1
            auth = self.headers.get("Authorization") or ""
            s.authorization = [auth]
            f = dict(s.faults)
        if f.get("key") and auth != "Bearer " + f["key"]:
            return self.answer(401, {"error": "bad key"})
        if f.get("times", 0) > 0 and f.get("status"):
            with s.lock:
                s.faults["times"] -= 1
            headers = [("Retry-After", str(f["retry_after"]))] if "retry_after" in f else []
            return self.answer(int(f["status"]), {"error": "fault"}, headers)
        if f.get("max_batch") and len(texts) > f["max_batch"]:
            return self.answer(413, {"error": "batch too large"})
        if f.get("refuse") and any(f["refuse"] in t for t in texts):
            return self.answer(400, {"error": "input refused"})
        while True:
            with s.lock:
                hang = s.faults.get("hang_after")
                if hang is None or s.inputs < hang:
                    break
            time.sleep(0.05)
        if f.get("slow_ms"):
            time.sleep(f["slow_ms"] / 1000)
        vectors = [s.vector(t) for t in texts]
        with s.lock:
            s.inputs += len(texts)
            s.batches.append(len(texts))
            model = request.get("model", "")
            s.by_model[model] = s.by_model.get(model, 0) + len(texts)
            for t in texts:
                h = hashlib.sha256(t.encode("utf-8")).hexdigest()
                s.by_text[h] = s.by_text.get(h, 0) + 1
        if self.path == "/v1/embeddings":
            data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
            data.reverse()
            return self.answer(200, {"object": "list", "data": data, "model": request["model"],
                                     "usage": {"prompt_tokens": 0, "total_tokens": 0}})
        if self.path == "/api/embed":
            return self.answer(200, {"model": request["model"], "embeddings": vectors})
        return self.answer(200, vectors)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that went away (a test killed it)
        super().handle_error(request, client_address)


def watch_parent(pid):
    while True:
        time.sleep(0.2)
        if os.getppid() == 1 or (pid and not os.path.exists("/proc/%d" % pid)):
            os._exit(0)


def main():
    parser = argparse.ArgumentParser(description="A fake embedding service for tests.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dimensions", type=int, default=8)
    parser.add_argument("--parent-pid", type=int, default=0)
    args = parser.parse_args()
    Handler.state = State(args.dimensions)
    server = Server(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()
    print("READY %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
