#!/usr/bin/env bash
# The second CI leg: the whole suite against PostgreSQL, Redis and a real Celery
# worker + beat (scripts/services.sh start --tests). Everything started here is
# stopped on exit, also when the tests fail or the run is interrupted.
#
#   scripts/test-services.sh [pytest args...]
set -euo pipefail

cd "$(dirname "$0")/.."

cleanup() {
    local rc=$?
    scripts/services.sh stop || true
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/services.sh start --tests
# shellcheck disable=SC1091
source var/services/env

export DJANGO_ALLOW_ASYNC_UNSAFE=true
# pytest-django creates test_govmedia from DATABASE_URL=.../govmedia; the shared
# worker was started on that same database (GOVMEDIA_WORKER_DATABASE_URL).
.venv/bin/python -m pytest -q -p tests.infra.plugin "$@"
