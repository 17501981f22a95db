#!/usr/bin/env bash
# Rehearse the one-machine production layout on loopback and report what it sees:
# a private PostgreSQL + Redis (scripts/services.sh start --stores), production
# settings, migrate + compilemessages + collectstatic + check --deploy, the demo data
# (seeded once with local settings: production refuses seed_demo), 2 gunicorn workers,
# 2 Celery workers and beat. Then: /healthz, the login page, a demo login and the inbox,
# a ping job per worker, and the JSON log lines. Everything is stopped at the end.
#
#   scripts/deploy-check.sh            (after make setup-services)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
export GOVMEDIA_SERVICES_DIR="$ROOT/var/deploy-check"
RUN="$GOVMEDIA_SERVICES_DIR/run"
PIDS=()

cleanup() {
    local rc=$? pid
    for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    scripts/services.sh stop >/dev/null || true
    exit "$rc"
}
trap cleanup EXIT

scripts/services.sh start --stores
# shellcheck disable=SC1091
source "$GOVMEDIA_SERVICES_DIR/env"
mkdir -p "$RUN"
port="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

export DJANGO_SETTINGS_MODULE=config.settings.production
export SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')"
export ALLOWED_HOSTS=127.0.0.1,localhost
export CSRF_TRUSTED_ORIGINS="https://127.0.0.1:$port"
export CELERY_TASK_ALWAYS_EAGER=false
export GOVMEDIA_VAR_DIR="$RUN"
export MEDIA_ROOT="$RUN/media"
export WEB_CONCURRENCY=2
export GUNICORN_BIND="127.0.0.1:$port"
unset DJANGO_ALLOW_ASYNC_UNSAFE

step() { echo; echo "== $*"; }
PY=.venv/bin/python

step "migrate / compilemessages / collectstatic / check --deploy (production settings)"
time $PY manage.py migrate --no-input -v 0
$PY manage.py compilemessages --ignore=.venv --ignore=var -v 0
$PY manage.py collectstatic --no-input -v 0 2>&1 | grep -c missing_reference | sed "s/$/ missing font references in viewflow CSS (logged, not fatal)/"
$PY manage.py check --deploy
step "seed_demo (local settings against the same PostgreSQL; production refuses it)"
DJANGO_SETTINGS_MODULE=config.settings.local $PY manage.py seed_demo 2>&1 | tail -n 3 || echo "seed_demo failed"
DJANGO_SETTINGS_MODULE=config.settings.production $PY manage.py seed_demo >/dev/null 2>&1 &&
    echo "UNEXPECTED: production ran seed_demo" || echo "production settings refuse seed_demo: ok"

step "start 2 gunicorn workers, 2 Celery workers, beat"
setsid .venv/bin/gunicorn -c config/gunicorn.py config.wsgi >"$RUN/web.log" 2>&1 &
PIDS+=($!)
for n in 1 2; do
    setsid .venv/bin/celery -A config worker -n "worker$n@%h" --concurrency 1 --loglevel INFO \
        >"$RUN/worker$n.log" 2>&1 &
    PIDS+=($!)
done
setsid .venv/bin/celery -A config beat --schedule "$RUN/celerybeat-schedule" --loglevel INFO \
    >"$RUN/beat.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 120); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done
sleep 5

step "GET /healthz"
curl -sS -i "http://127.0.0.1:$port/healthz" | sed -n '1p;/^{/p'
step "GET /accounts/login/ (as the TLS proxy forwards it)"
curl -sS -o "$RUN/login.html" -w "status=%{http_code} bytes=%{size_download}\n" \
    -H "X-Forwarded-Proto: https" "http://127.0.0.1:$port/accounts/login/"
grep -o "<title>[^<]*</title>" "$RUN/login.html" || true
step "GET /accounts/login/ over plain http (expect the HTTPS redirect)"
curl -sS -o /dev/null -w "status=%{http_code} location=%{redirect_url}\n" "http://127.0.0.1:$port/accounts/login/"
step "static file through WhiteNoise (hashed name from the manifest)"
static="$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['paths']['rest_framework/css/bootstrap.min.css'])" "$RUN/static/staticfiles.json")"
curl -sS -o /dev/null -D "$RUN/static.headers" -w "/static/$static status=%{http_code} bytes=%{size_download}\n" \
    -H "X-Forwarded-Proto: https" "http://127.0.0.1:$port/static/$static"
grep -i "^cache-control" "$RUN/static.headers" || true

step "demo login (first demo user found) and the inbox"
user="$($PY manage.py shell -c "from django.contrib.auth import get_user_model as g; u=g().objects.filter(is_superuser=False, memberships__role='approver').order_by('username').first(); print(u.username if u else '')" 2>/dev/null | tail -n 1)"
password="${DEMO_PASSWORD:-demo12345}"
if [[ -n "$user" ]]; then
    jar="$RUN/cookies"
    base="http://127.0.0.1:$port"
    curl -sS -c "$jar" -b "$jar" -o "$RUN/login-form.html" -H "X-Forwarded-Proto: https" "$base/accounts/login/"
    token="$(grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' "$RUN/login-form.html" | head -n 1 | sed 's/.*value="//;s/"//')"
    curl -sS -c "$jar" -b "$jar" -o /dev/null -w "POST login as $user: status=%{http_code} location=%{redirect_url}\n" \
        -H "X-Forwarded-Proto: https" -H "Referer: https://127.0.0.1:$port/accounts/login/" \
        --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "username=$user" \
        --data-urlencode "password=$password" "$base/accounts/login/"
    curl -sS -b "$jar" -L -o "$RUN/inbox.html" -w "GET / as $user: status=%{http_code} bytes=%{size_download} url=%{url_effective}\n" \
        -H "X-Forwarded-Proto: https" "$base/"
else
    echo "no demo approver in the database"
fi

step "ping jobs through Redis to the two workers"
$PY - <<'PYEOF'
import json, time, uuid
import django
django.setup()
from config.celery import PING_KEY, ping, redis_client
r = redis_client()
tokens = [uuid.uuid4().hex for _ in range(6)]
for t in tokens:
    ping.delay(t)
seen = {}
deadline = time.time() + 60
while time.time() < deadline and len(seen) < len(tokens):
    for t in tokens:
        raw = r.get(PING_KEY.format(token=t))
        if raw:
            seen[t] = json.loads(raw)
    time.sleep(0.2)
hosts = sorted({a["hostname"] for a in seen.values()})
print(f"{len(seen)}/{len(tokens)} pings answered by {hosts} on database {sorted({a['database'] for a in seen.values()})}")
PYEOF

step "processes"
ps -o pid,ppid,rss,args -g "$(IFS=,; echo "${PIDS[*]}")" | cut -c1-150
step "log lines (JSON)"
head -n 2 "$RUN/web.log"
grep -m 2 '"logger": "gunicorn.access"' "$RUN/web.log" || true
grep -m 1 "ready" "$RUN/worker1.log" || true
tail -n 1 "$RUN/beat.log"
