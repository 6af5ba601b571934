#!/usr/bin/env python3
"""Start the fake GitHub (see README.md next to this file).

    python3 fake_github.py --repos-dir DIR [--port 0] [--config FILE]
                           [--port-file FILE] [--api-prefix /api/v3]
                           [--parent-pid PID]

Prints one line "READY <port>" on stdout once it listens on 127.0.0.1 (and
writes the port to --port-file if given). Stops on SIGTERM or SIGINT, and
by itself when its parent process (or --parent-pid) dies. Exit status 2:
bad arguments or configuration.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fakegh.app import ConfigError, FakeGitHub, load_config  # noqa: E402
from fakegh.server import (FakeGitHubServer, parent_watch,  # noqa: E402
                           serve_until_stopped)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="A fake GitHub for tests.")
    parser.add_argument("--repos-dir", required=True,
                        help="bare repositories as DIR/<owner>/<name>.git")
    parser.add_argument("--port", type=int, default=0,
                        help="port on 127.0.0.1; 0 (default) picks a free one")
    parser.add_argument("--config", "--state-file", dest="config",
                        help="JSON configuration: tokens, repos, app, "
                             "rate_limit, faults (the state a reset returns to)")
    parser.add_argument("--port-file", help="also write the port to this file")
    parser.add_argument("--api-prefix", default="",
                        help="serve REST under this prefix, e.g. /api/v3 as "
                             "GitHub Enterprise Server does")
    parser.add_argument("--parent-pid", type=int,
                        help="stop when this process ends (default: when our "
                             "parent process ends)")
    parser.add_argument("--verbose", action="store_true",
                        help="log every request on stderr")
    return parser.parse_args(argv)


def write_port_file(path: str, port: int) -> None:
    """Atomically, so a reader never sees a half-written number."""
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="ascii") as out:
        out.write(f"{port}\n")
    os.replace(temporary, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    parent_alive = parent_watch(args.parent_pid)  # before the parent can go
    if not os.path.isdir(args.repos_dir):
        print(f"fake_github: --repos-dir {args.repos_dir}: not a directory",
              file=sys.stderr)
        return 2
    try:
        config = load_config(args.config) if args.config else {}
        gh = FakeGitHub(args.repos_dir, config, api_prefix=args.api_prefix)
    except ConfigError as error:
        print(f"fake_github: configuration: {error}", file=sys.stderr)
        return 2
    server = FakeGitHubServer(gh, args.port, verbose=args.verbose)
    try:
        if args.port_file:
            write_port_file(args.port_file, server.port)
        print(f"READY {server.port}", flush=True)
        serve_until_stopped(server, parent_alive)
    finally:
        gh.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
