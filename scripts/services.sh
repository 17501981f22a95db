#!/usr/bin/env bash
# Start and stop the production-like services of one clone: its own PostgreSQL
# cluster, a Redis without persistence, a Celery worker and Celery beat.
#
#   scripts/services.sh start [--tests]   start all four; write var/services/env
#   scripts/services.sh start --stores    only PostgreSQL and Redis (run your own processes)
#   scripts/services.sh stop              stop everything this script started
#   scripts/services.sh status            show what is running
#
# Everything lives under var/services/ (GOVMEDIA_SERVICES_DIR overrides it; the PostgreSQL cluster moves to a
# /tmp folder only when the postgres user cannot reach var/). Ports are free
# loopback ports picked at start. `source var/services/env` gives a shell the
# DATABASE_URL, CELERY_BROKER_URL, ... that point at them.
#
# --tests: the worker and beat serve the pytest run of `make test-services`:
#   settings config.settings.test, the worker's database is pytest-django's
#   test database (test_govmedia, created and dropped by pytest), beat sends a
#   heartbeat every 5 s and does not schedule run_due (tests drive run_due).
# Without --tests: settings $DJANGO_SETTINGS_MODULE (default config.settings.local),
#   the worker uses the govmedia database, beat schedules run_due every minute.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${GOVMEDIA_SERVICES_DIR:-$ROOT/var/services}"
ENVFILE="$STATE/env"
VENV="$ROOT/.venv"
DB_NAME=govmedia
DB_USER=govmedia

log() { echo "services: $*"; }
die() { echo "services: $*" >&2; exit 1; }

pg_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$dir" ]] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
    echo "$dir"
}

free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

as_pg() {
    # Run a PostgreSQL server command as the postgres user when we are root.
    if [[ "$(id -u)" == "0" ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_dir() {
    # The cluster folder: var/services/pg, or a /tmp folder when the postgres
    # user cannot traverse the path to var/ (or the socket path would be too long).
    if [[ -f "$STATE/pg.dir" ]]; then
        cat "$STATE/pg.dir"
        return
    fi
    local dir="$STATE/pg"
    mkdir -p "$dir"
    if [[ "$(id -u)" == "0" ]]; then
        chown postgres:postgres "$dir"
        if ! runuser -u postgres -- test -w "$dir" || ((${#dir} > 80)); then
            dir="$(mktemp -d /tmp/govmedia-pg.XXXXXX)"
            chown postgres:postgres "$dir"
        fi
    elif ((${#dir} > 80)); then
        dir="$(mktemp -d /tmp/govmedia-pg.XXXXXX)"
    fi
    echo "$dir" >"$STATE/pg.dir"
    echo "$dir"
}

start_postgres() {
    local bin dir port
    bin="$(pg_bin)"
    dir="$(pg_dir)"
    port="$(free_port)"
    rm -rf "$dir/data" "$dir/run"
    mkdir -p "$dir/run"
    [[ "$(id -u)" == "0" ]] && chown -R postgres:postgres "$dir"
    # Collation C (byte order), but a UTF-8 LC_CTYPE when the system has one: pg_trgm (the
    # archive search's index, notices migration 0008) makes no trigrams of Chinese under C.
    local ctype=()
    if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then ctype=(--lc-ctype=C.UTF-8); fi
    as_pg "$bin/initdb" -D "$dir/data" -U "$DB_USER" --auth=trust -E UTF8 --no-locale "${ctype[@]}" >"$dir/initdb.log" 2>&1 ||
        die "initdb failed: $(cat "$dir/initdb.log")"
    # A disposable cluster: durability off for speed (never do this in production).
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir/run -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null || die "PostgreSQL did not start: $(tail -n 20 "$dir/postgres.log")"
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$DB_USER" "$DB_NAME"
    echo "$port" >"$STATE/pg.port"
    log "PostgreSQL $(basename "$(dirname "$bin")") on 127.0.0.1:$port (cluster $dir/data)"
}

start_redis() {
    local port
    port="$(free_port)"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
        --daemonize yes --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" --dir "$STATE" ||
        die "Redis did not start"
    for _ in $(seq 50); do
        [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == "PONG" ]] && break
        sleep 0.1
    done
    [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == "PONG" ]] || die "Redis does not answer"
    echo "$port" >"$STATE/redis.port"
    log "Redis on 127.0.0.1:$port (no persistence)"
}

write_env() {
    local tests="$1" pg_port redis_port worker_db settings
    pg_port="$(cat "$STATE/pg.port")"
    redis_port="$(cat "$STATE/redis.port")"
    if [[ "$tests" == 1 ]]; then
        worker_db="test_$DB_NAME"
        settings=config.settings.test
    else
        worker_db="$DB_NAME"
        settings="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
    fi
    cat >"$ENVFILE" <<ENV
# Written by scripts/services.sh start; source it to reach the services.
export DJANGO_SETTINGS_MODULE=$settings
export DATABASE_URL=postgres://$DB_USER@127.0.0.1:$pg_port/$DB_NAME
export GOVMEDIA_WORKER_DATABASE_URL=postgres://$DB_USER@127.0.0.1:$pg_port/$worker_db
export CELERY_BROKER_URL=redis://127.0.0.1:$redis_port/0
export CELERY_TASK_ALWAYS_EAGER=false
export MEDIA_ROOT=$STATE/media
export GOVMEDIA_SHARED_WORKER=services@$(hostname)
export GOVMEDIA_SERVICES_TESTS=$tests
ENV
    if [[ "$tests" == 1 ]]; then
        # A job of a SIGKILLed worker comes back after 30 s instead of an hour.
        echo "export CELERY_VISIBILITY_TIMEOUT=30" >>"$ENVFILE"
        # The test database starts empty each run, so must the files its rows point to.
        rm -rf "$STATE/media"
    fi
    mkdir -p "$STATE/media"
}

start_detached() {
    # start_detached NAME CMD...: run CMD in its own session (process group), log and pid under STATE.
    local name="$1"
    shift
    setsid "$@" >"$STATE/$name.log" 2>&1 </dev/null &
    echo $! >"$STATE/$name.pid"
}

start_celery() {
    local tests="$1"
    # shellcheck disable=SC1090
    source "$ENVFILE"
    local beat_env=(CELERY_BEAT_RUN_DUE=true GOVMEDIA_BEAT_HEARTBEAT_SECONDS=60)
    [[ "$tests" == 1 ]] && beat_env=(CELERY_BEAT_RUN_DUE=false GOVMEDIA_BEAT_HEARTBEAT_SECONDS=5)
    (
        cd "$ROOT"
        export DATABASE_URL="$GOVMEDIA_WORKER_DATABASE_URL"
        start_detached worker "$VENV/bin/celery" -A config worker -n "$GOVMEDIA_SHARED_WORKER" \
            --concurrency 2 --loglevel INFO
        start_detached beat env "${beat_env[@]}" "$VENV/bin/celery" -A config beat \
            --loglevel INFO --schedule "$STATE/beat-schedule"
    )
    local i
    for i in $(seq 60); do
        if grep -q "ready\." "$STATE/worker.log" 2>/dev/null; then
            log "Celery worker $GOVMEDIA_SHARED_WORKER ready (pid $(cat "$STATE/worker.pid")), beat pid $(cat "$STATE/beat.pid")"
            return
        fi
        kill -0 "$(cat "$STATE/worker.pid")" 2>/dev/null || break
        sleep 0.5
    done
    die "Celery worker did not become ready: $(tail -n 30 "$STATE/worker.log")"
}

stop_pid() {
    # stop_pid NAME: TERM the process group recorded in STATE/NAME.pid, KILL it after 20 s.
    local name="$1" pid
    [[ -f "$STATE/$name.pid" ]] || return 0
    pid="$(cat "$STATE/$name.pid")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 40); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
        log "stopped $name (pid $pid)"
    fi
    rm -f "$STATE/$name.pid"
}

stop_all() {
    stop_pid beat
    stop_pid worker
    if [[ -f "$STATE/redis.pid" ]]; then
        local pid
        pid="$(cat "$STATE/redis.pid")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
            log "stopped Redis (pid $pid)"
        fi
        rm -f "$STATE/redis.pid"
    fi
    if [[ -f "$STATE/pg.dir" ]]; then
        local dir
        dir="$(cat "$STATE/pg.dir")"
        if [[ -f "$dir/data/postmaster.pid" ]]; then
            as_pg "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
            log "stopped PostgreSQL ($dir/data)"
        fi
        case "$dir" in /tmp/govmedia-pg.*) rm -rf "$dir" ;; esac
        rm -f "$STATE/pg.dir"
    fi
    rm -f "$ENVFILE" "$STATE/pg.port" "$STATE/redis.port"
}

status() {
    local name
    for name in worker beat redis; do
        if [[ -f "$STATE/$name.pid" ]] && kill -0 "$(cat "$STATE/$name.pid")" 2>/dev/null; then
            echo "$name: running (pid $(cat "$STATE/$name.pid"))"
        else
            echo "$name: stopped"
        fi
    done
    if [[ -f "$STATE/pg.dir" && -f "$(cat "$STATE/pg.dir")/data/postmaster.pid" ]]; then
        echo "postgresql: running (port $(cat "$STATE/pg.port"))"
    else
        echo "postgresql: stopped"
    fi
}

main() {
    local cmd="${1:-}"
    local tests=0 stores_only=0
    [[ "${2:-}" == "--tests" ]] && tests=1
    [[ "${2:-}" == "--stores" ]] && stores_only=1
    mkdir -p "$STATE"
    case "$cmd" in
    start)
        stop_all >/dev/null 2>&1 || true
        command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
        [[ -x "$VENV/bin/celery" ]] || die ".venv is missing: run scripts/bootstrap.sh --services"
        start_postgres
        start_redis
        write_env "$tests"
        ((stores_only)) || start_celery "$tests"
        log "environment in $ENVFILE"
        ;;
    stop) stop_all ;;
    status) status ;;
    *) die "usage: $0 start [--tests|--stores] | stop | status" ;;
    esac
}

main "$@"
