#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, from Debian's postgresql
# package: initdb + pg_ctl on a free loopback port, as a non-root user.
#   pg_cluster.sh start DIR   creates DIR, starts the server, writes DIR/url
#                             (a postgresql:// URL of a superuser) and DIR/port
#   pg_cluster.sh stop DIR    stops the server and removes DIR
# When run as root, the server runs as the "postgres" system user. Tests run
# without fsync; PG_CLUSTER_DURABLE=1 keeps PostgreSQL's durable defaults
# (for benchmarks); PG_CLUSTER_OPTIONS adds server options ("-c name=value ...").
set -euo pipefail
action="$1"; dir="$2"

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ ! -x "$bin/initdb" ]; then
  echo "pg_cluster: no PostgreSQL server found (install Debian's postgresql package)" >&2
  exit 1
fi

as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

case "$action" in
  start)
    if [ -f "$dir/data/postmaster.pid" ]; then
      "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U tether_admin -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200"
    if [ "${PG_CLUSTER_DURABLE:-0}" != "1" ]; then options="$options -c fsync=off -c synchronous_commit=off"; fi
    if [ -n "${PG_CLUSTER_OPTIONS:-}" ]; then options="$options $PG_CLUSTER_OPTIONS"; fi
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$options" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "postgresql://tether_admin@127.0.0.1:$port/postgres" >"$dir/url"
    echo "pg_cluster: PostgreSQL on 127.0.0.1:$port ($dir)"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg_cluster.sh start|stop DIR" >&2
    exit 2
    ;;
esac
