#!/usr/bin/env bash
# Start the web server, a worker, beat and the demo stream; Ctrl-C stops all of them.
set -uo pipefail
BIN=.venv/bin
mkdir -p var
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "[run] stopping…"
  kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  echo "[run] stopped"
}
trap stop INT TERM EXIT

$BIN/uvicorn config.asgi:application --host 127.0.0.1 --port "${LOTSE_PORT:-8000}" --log-level warning &
pids+=($!)
LOTSE_DB_CONN_MAX_AGE=60 $BIN/celery -A config worker -Q ingest,triage,notify,reports --concurrency 2 -l WARNING &
pids+=($!)
$BIN/celery -A config beat -l WARNING --schedule var/celerybeat-schedule &
pids+=($!)
LOTSE_DB_CONN_MAX_AGE=60 $BIN/python manage.py listen_streams &
pids+=($!)
$BIN/python manage.py demo_stream --base-url "http://127.0.0.1:${LOTSE_PORT:-8000}" &
pids+=($!)
echo "[run] web, worker, beat and demo stream are running. Open http://localhost:${LOTSE_PORT:-8000}/ — Ctrl-C stops everything."
wait -n "${pids[@]}"
echo "[run] a process exited; stopping the rest"
