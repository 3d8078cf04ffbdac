#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests: initdb and pg_ctl in DIR, as an unprivileged user
# (PostgreSQL refuses to run as root), on a free loopback port, with password (SCRAM) authentication.
#
#   postgres.sh start DIR   starts it; writes DIR/url (postgresql://organizer@127.0.0.1:PORT/organizer),
#                           DIR/password (the password, for --database-password-file) and DIR/port
#                           The cluster itself lives in a private directory under /tmp (named in DIR/runtime):
#                           the unprivileged user PostgreSQL runs as must reach it, and DIR may sit below a
#                           directory only root can enter (a checkout in root's home, mode 0700).
#   postgres.sh createdb DIR  makes a new, empty database on it and prints its URL
#   postgres.sh suspend DIR / resume DIR   stops it as a crash would, and starts it again (same port)
#   postgres.sh stop DIR    stops it and removes DIR
set -euo pipefail

action="${1:?usage: postgres.sh start|createdb|stop DIR}"
dir="${2:?usage: postgres.sh start|createdb|stop DIR}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

# as_owner CMD…: runs CMD as the unprivileged owner of DIR when we are root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 30000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
    echo "postgres.sh: no free port found" >&2
    exit 1
}

runtime_of() { cat "$1/runtime" 2>/dev/null || true; }

case "$action" in
start)
    runtime="$(runtime_of "$dir")"
    if [ -f "$dir/port" ] && [ -n "$runtime" ] && as_owner "$bin/pg_ctl" -D "$runtime/data" status >/dev/null 2>&1; then
        exit 0 # already running (a re-run of the fixture)
    fi
    "$0" stop "$dir"
    mkdir -p "$dir"
    # Created by whoever runs this (mode 0700), then handed to the unprivileged owner: /tmp is reachable by
    # everyone, wherever DIR is.
    runtime="$(mktemp -d "${TMPDIR:-/tmp}/organizer-postgres.XXXXXX")"
    echo "$runtime" >"$dir/runtime"
    head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/password"
    cp "$dir/password" "$runtime/password"
    port="$(free_port)"
    [ "$(id -u)" -eq 0 ] && chown -R nobody: "$runtime"
    as_owner "$bin/initdb" -D "$runtime/data" -U organizer --pwfile="$runtime/password" --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log"
    echo "-p $port -k $runtime -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on -c synchronous_commit=on" >"$runtime/options"
    as_owner "$bin/pg_ctl" -D "$runtime/data" -l "$runtime/server.log" -w -t 60 -o "$(cat "$runtime/options")" start >/dev/null \
        || { cat "$runtime/server.log" >&2; exit 1; }
    PGPASSWORD="$(cat "$dir/password")" as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U organizer organizer
    echo "$port" >"$dir/port"
    echo "postgresql://organizer@127.0.0.1:$port/organizer" >"$dir/url"
    # The test processes (root or not) read these.
    chmod 755 "$dir"
    chmod 644 "$dir/url" "$dir/port" "$dir/password" "$dir/runtime"
    echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (cluster in $runtime)"
    ;;
createdb)
    name="t_$(date +%s)_$$_$RANDOM"
    PGPASSWORD="$(cat "$dir/password")" "$bin/createdb" -h 127.0.0.1 -p "$(cat "$dir/port")" -U organizer "$name"
    echo "postgresql://organizer@127.0.0.1:$(cat "$dir/port")/$name"
    ;;
suspend)
    # The server goes away as in a crash (clients see their connections fail); `resume` brings it back.
    runtime="$(runtime_of "$dir")"
    as_owner "$bin/pg_ctl" -D "$runtime/data" -m immediate -w stop >/dev/null
    ;;
resume)
    runtime="$(runtime_of "$dir")"
    as_owner "$bin/pg_ctl" -D "$runtime/data" -l "$runtime/server.log" -w -t 60 -o "$(cat "$runtime/options")" start >/dev/null
    ;;
stop)
    runtime="$(runtime_of "$dir")"
    if [ -n "$runtime" ]; then
        [ -d "$runtime/data" ] && as_owner "$bin/pg_ctl" -D "$runtime/data" -m fast -w stop >/dev/null 2>&1 || true
        case "$runtime" in */organizer-postgres.*) rm -rf "$runtime" ;; esac
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: postgres.sh start|createdb|suspend|resume|stop DIR" >&2
    exit 2
    ;;
esac
