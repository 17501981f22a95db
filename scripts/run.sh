#!/usr/bin/env bash
# `make run`'s server: runserver on HOST:PORT with run_due every 60 s in the background.
# The background loop belongs to this script and is stopped when the server ends (Ctrl-C,
# kill, or the server failing to start), so no run_due loop outlives the demo.
set -u
HOST="${1:-127.0.0.1}"
PORT="${2:-8000}"
PY=".venv/bin/python"

loop_pid=""
stop_loop() {
  if [ -n "$loop_pid" ] && kill -0 "$loop_pid" 2>/dev/null; then
    kill "$loop_pid" 2>/dev/null
    wait "$loop_pid" 2>/dev/null
  fi
}
trap stop_loop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if $PY manage.py help run_due >/dev/null 2>&1; then
  (
    sleeper=""
    trap 'kill $sleeper 2>/dev/null; exit 0' TERM
    server_script=$$  # this script: the loop ends when it is gone, even after a kill -9
    while kill -0 "$server_script" 2>/dev/null; do
      sleep 60 & sleeper=$!
      wait "$sleeper"
      kill -0 "$server_script" 2>/dev/null || break
      $PY manage.py run_due || true
    done
  ) >>var/run_due.log 2>&1 &
  loop_pid=$!
  echo "run_due: every 60 s in the background (log: var/run_due.log); stops with the server"
else
  echo "run_due: command not installed yet; skipped"
fi

echo "Serving http://$HOST:$PORT/ (demo logins: docs/demo.md; password demo12345)"
$PY manage.py runserver "$HOST:$PORT"
