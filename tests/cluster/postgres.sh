#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests: initdb and pg_ctl in DIR, as an unprivileged user
# (PostgreSQL refuses to run as root), on a free loopback port, with password (SCRAM) authentication.
#
#   postgres.sh start DIR   starts it; writes DIR/url (postgresql://organizer@127.0.0.1:PORT/organizer),
#                           DIR/password (the password, for --database-password-file) and DIR/port
#   postgres.sh createdb DIR  makes a new, empty database on it and prints its URL
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

case "$action" in
start)
    if [ -f "$dir/port" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        exit 0 # already running (a re-run of the fixture)
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    # The unprivileged owner must reach DIR: a private temporary parent (mktemp -d) gets o+x, traversal only.
    if [ "$(id -u)" -eq 0 ] && ! runuser -u nobody -- test -x "$(dirname "$dir")"; then
        chmod o+x "$(dirname "$dir")"
    fi
    head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/password"
    port="$(free_port)"
    [ "$(id -u)" -eq 0 ] && chown -R nobody: "$dir"
    chmod 700 "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U organizer --pwfile="$dir/password" --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on -c synchronous_commit=on" start >/dev/null
    PGPASSWORD="$(cat "$dir/password")" as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U organizer organizer
    echo "$port" >"$dir/port"
    echo "postgresql://organizer@127.0.0.1:$port/organizer" >"$dir/url"
    # The test processes (root or not) read these two.
    chmod 755 "$dir"
    chmod 644 "$dir/url" "$dir/port" "$dir/password"
    echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
    ;;
createdb)
    name="t_$(date +%s)_$$_$RANDOM"
    PGPASSWORD="$(cat "$dir/password")" "$bin/createdb" -h 127.0.0.1 -p "$(cat "$dir/port")" -U organizer "$name"
    echo "postgresql://organizer@127.0.0.1:$(cat "$dir/port")/$name"
    ;;
stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
