#!/usr/bin/env python3
"""Event stream fan-out and API throughput of `tether serve`, on loopback.

1. Starts `tether serve` on a temporary SQLite database, adds a project on a
   generated git repository, opens N concurrent Server-Sent Events clients
   (GET /api/v1/events?project=bench, default 1,000), starts one sync through
   the API and checks that every client receives every event of the run
   (the same ids the events table holds, in order). Prints the p50 and p99
   delivery latency: from the event's created_at (stamped by the engine when
   the sync emits it) to its receipt by a client, so it includes the event
   writer's commit, the fan-out, the socket and this script's own reading
   (the clients are spread over --client-procs Python processes, 4 by
   default, each reading its share of the sockets on one event loop; at
   N = 1,000 that reading is part of the figure). created_at has
   millisecond resolution.
2. Measures requests per second for GET /api/v1/projects with wrk when it is
   installed (apt-get install wrk), otherwise with a keep-alive client of its
   own; the output says which.

Bounded: N clients, one sync, a fixed wrk duration, and an overall deadline;
everything listens on 127.0.0.1 only.

Usage: python3 bench/sse_bench.py [--clients 1000] [--files 2000] [--client-procs 4]
           [--tether build/bin/tether] [--wrk-seconds 5] [--keep]
Exit status: 0 when the figures were printed (even with MISMATCH lines),
1 when something could not run, 2 on bad usage.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

DEADLINE_S = 300
PROJECT = "bench"


class BenchError(Exception):
    pass


def run(args: list[str], cwd: Path | None = None) -> str:
    res = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise BenchError(f"{' '.join(args)} exited {res.returncode}: {res.stderr.strip()[:2000]}")
    return res.stdout


def make_repo(path: Path, files: int) -> None:
    path.mkdir(parents=True)
    run(["git", "init", "-q", "-b", "main", str(path)])
    for i in range(files):
        d = path / f"dir{i % 50:02d}"
        d.mkdir(exist_ok=True)
        (d / f"file{i:05d}.txt").write_text(f"file {i}\n" + "x" * 200 + "\n")
    run(["git", "add", "-A"], cwd=path)
    run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", "first"],
        cwd=path)


class Server:
    def __init__(self, tether: Path, workdir: Path):
        self.tether = tether
        self.config = workdir / "tether.json"
        run([str(tether), "--config", str(self.config), "init", "--database", f"sqlite:{workdir / 'tether.db'}"])
        config = json.loads(self.config.read_text())
        # Room for every client's events (the default, 1024, is plenty for one
        # sync; said here so that a larger --files cannot drop clients).
        config["server"] = {"sse_client_queue": 65536, "io_threads": 2}
        self.config.write_text(json.dumps(config, indent=2))
        self.token = run([str(tether), "--config", str(self.config), "token", "create", "--name", "bench"]).strip()
        self.proc = subprocess.Popen([str(tether), "--config", str(self.config), "serve", "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("listening on "):
            raise BenchError(f"tether serve did not start: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.port = int(line.rsplit(":", 1)[1])

    def call(self, method: str, path: str, body: dict | None = None) -> dict | str:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
            return json.loads(text) if response.headers.get_content_type() == "application/json" else text

    def metric(self, name: str) -> float:
        text = self.call("GET", "/metrics")
        for line in str(text).splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return -1

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def parse_created_at(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


class Client:
    """One SSE connection; records (id, type, latency in ms) per event."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str, float]] = []
        self.finished: dict = {}  # run.finished's data
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, port: int, token: str) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer.write((f"GET /api/v1/events?project={PROJECT} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise BenchError(f"event stream refused: {head[:200]!r}")

    async def read_run(self) -> None:
        assert self.reader is not None
        event_id, event_type = -1, ""
        while True:
            line = (await self.reader.readline()).decode().rstrip("\n")
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("event: "):
                event_type = line[7:]
            elif line.startswith("data: "):
                received = time.time()
                data = json.loads(line[6:])
                self.events.append((event_id, event_type, (received - parse_created_at(data["created_at"])) * 1000.0))
                if event_type == "run.finished":
                    self.finished = data
                    return
            elif line == "" and self.reader.at_eof():
                raise BenchError("an event stream ended before run.finished")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))]


async def child_clients(port: int, token: str, count: int, ready, go, results) -> None:
    """One client process: connects `count` streams, says so, reads one run."""
    clients = [Client() for _ in range(count)]
    for i in range(0, count, 100):
        await asyncio.gather(*(c.connect(port, token) for c in clients[i:i + 100]))
    readers = [asyncio.create_task(c.read_run()) for c in clients]
    ready.put(count)
    await asyncio.wait_for(asyncio.gather(*readers), timeout=DEADLINE_S)
    results.put(([[e[0] for e in c.events] for c in clients],
                 [(e[1], e[2]) for c in clients for e in c.events],
                 clients[0].finished))
    for c in clients:
        c.close()


def child_main(port: int, token: str, count: int, ready, go, results) -> None:
    try:
        asyncio.run(child_clients(port, token, count, ready, go, results))
    except Exception as e:  # reported by the parent
        results.put(e)


def sse_round(server: Server, clients_n: int, procs: int) -> None:
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    ready, results = ctx.Queue(), ctx.Queue()
    shares = [clients_n // procs + (1 if i < clients_n % procs else 0) for i in range(procs)]
    started = time.monotonic()
    children = [ctx.Process(target=child_main, args=(server.port, server.token, n, ready, None, results))
                for n in shares if n > 0]
    for child in children:
        child.start()
    try:
        connected = sum(ready.get(timeout=120) for _ in children)
        connect_s = time.monotonic() - started
        gauge = server.metric("tether_sse_clients")
        print(f"connected {connected} event streams from {len(children)} client processes in {connect_s:.2f} s "
              f"(tether_sse_clients {gauge:.0f})")
        accepted = server.call("POST", f"/api/v1/projects/{PROJECT}/sync")
        run_id = accepted["run_id"]  # type: ignore[index]
        sync_started = time.monotonic()
        id_lists: list[list[int]] = []
        deliveries: list[tuple[str, float]] = []
        finished: dict = {}
        for _ in children:
            got = results.get(timeout=DEADLINE_S)
            if isinstance(got, Exception):
                raise BenchError(f"a client process failed: {got}")
            id_lists.extend(got[0])
            deliveries.extend(got[1])
            finished = got[2] or finished
        all_done_s = time.monotonic() - sync_started
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()

    ids = id_lists[0] if id_lists else []
    mismatched = sum(1 for other in id_lists if other != ids)
    latencies = [d[1] for d in deliveries]
    by_type: dict[str, list[float]] = {}
    for event_type, latency in deliveries:
        by_type.setdefault(event_type, []).append(latency)
    print(f"sync (run {run_id}): outcome {finished.get('outcome')}, {finished.get('added')} files added, "
          f"{len(ids)} events; every client had them all {all_done_s:.2f} s after the sync was accepted")
    if len(id_lists) != clients_n or mismatched:
        print(f"MISMATCH: {mismatched} of {len(id_lists)} clients (of {clients_n}) got a different list of event ids")
    if ids != sorted(set(ids)):
        print("MISMATCH: event ids are not strictly increasing")
    print(f"delivery latency over {len(latencies)} deliveries (created_at to receipt): "
          f"p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
          f"max {max(latencies):.1f} ms")
    for event_type, values in sorted(by_type.items()):
        print(f"  {event_type:16s} {len(values):7d} deliveries  p50 {statistics.median(values):8.1f} ms  "
              f"p99 {percentile(values, 99):8.1f} ms")


def wrk_round(server: Server, seconds: int) -> None:
    url = f"http://127.0.0.1:{server.port}/api/v1/projects"
    if shutil.which("wrk"):
        out = run(["wrk", "-t2", "-c32", f"-d{seconds}s", "-H", f"Authorization: Bearer {server.token}", url])
        rps = next((line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec:")), "?")
        non2xx = next((line.strip() for line in out.splitlines() if "Non-2xx" in line), "")
        print(f"GET /api/v1/projects: {rps} requests/s (wrk, 2 threads, 32 connections, {seconds} s){' ' + non2xx if non2xx else ''}")
        return
    rps, errors = asyncio.run(own_load(server, seconds, 32))
    print(f"GET /api/v1/projects: {rps:.0f} requests/s (own keep-alive client: wrk is not installed; "
          f"32 connections, {seconds} s, {errors} errors)")


async def own_load(server: Server, seconds: int, connections: int) -> tuple[float, int]:
    done = 0
    errors = 0
    deadline = time.monotonic() + seconds
    request = (f"GET /api/v1/projects HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {server.token}\r\n\r\n").encode()

    async def worker() -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200"):
                done += 1
            else:
                errors += 1
        writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return done / (time.monotonic() - started), errors


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--files", type=int, default=2000, help="files in the synced repository")
    parser.add_argument("--tether", type=Path, default=root / "build" / "bin" / "tether")
    parser.add_argument("--wrk-seconds", type=int, default=5)
    parser.add_argument("--client-procs", type=int, default=4, help="processes the clients are spread over")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work directory")
    args = parser.parse_args()
    if not args.tether.exists():
        print(f"no tether binary at {args.tether} (build it, or pass --tether)", file=sys.stderr)
        return 2
    if not 1 <= args.clients <= 5000 or not 1 <= args.files <= 100000 or not 1 <= args.wrk_seconds <= 60:
        print("--clients 1..5000, --files 1..100000, --wrk-seconds 1..60", file=sys.stderr)
        return 2
    # Each client is a socket here and in the server (which inherits this limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, args.clients * 2 + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    workdir = Path(tempfile.mkdtemp(prefix="tether-sse-bench-"))
    server = None
    try:
        make_repo(workdir / "repo", args.files)
        server = Server(args.tether, workdir)
        server.call("POST", "/api/v1/projects", {"name": PROJECT, "repo": str(workdir / "repo")})
        sse_round(server, args.clients, max(1, min(args.client_procs, args.clients)))
        wrk_round(server, args.wrk_seconds)
        return 0
    except (BenchError, OSError, asyncio.TimeoutError, KeyError, ValueError) as e:
        print(f"could not run: {e}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
