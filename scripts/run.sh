#!/usr/bin/env bash
# Start the web server, a worker, beat, the stream listener and the demo stream; a process
# that crashes is restarted (and says so); Ctrl-C stops all of them within a few seconds.
set -uo pipefail
BIN=.venv/bin
mkdir -p var
pids=()

# supervise NAME COMMAND...: run COMMAND, restart it when it exits unless we are stopping.
supervise() {
  local name=$1
  shift
  (
    child=""
    stopping=""
    trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
    while :; do
      "$@" &
      child=$!
      wait "$child"
      code=$?
      [ -n "$stopping" ] && exit 0
      echo "[run] $name exited (code $code); restarting it in 2 s"
      sleep 2
    done
  ) &
  pids+=($!)
}

stop() {
  trap - INT TERM EXIT
  echo; echo "[run] stopping…"
  kill -TERM "${pids[@]}" 2>/dev/null
  # Everything has 10 s to finish (uvicorn closes its websockets within 5); then it is killed.
  for _ in $(seq 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  pkill -KILL -P "$(IFS=,; echo "${pids[*]}")" 2>/dev/null
  kill -KILL "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  echo "[run] stopped"
}
trap stop INT TERM EXIT

# The web takes its PostgreSQL connections from a pool (config/dbpool.py); workers keep theirs.
supervise web env LOTSE_DB_POOL_MAX_SIZE="${LOTSE_DB_POOL_MAX_SIZE:-10}" $BIN/uvicorn config.asgi:application --host 127.0.0.1 --port "${LOTSE_PORT:-8000}" \
  --log-level warning --timeout-graceful-shutdown 5 --ws config.ws_server:GoingAwayWebSocketProtocol
supervise worker env LOTSE_DB_CONN_MAX_AGE=60 $BIN/celery -A config worker \
  -Q ingest,triage,notify,reports --concurrency 2 -l WARNING
supervise beat $BIN/celery -A config beat -l WARNING --schedule var/celerybeat-schedule
supervise streams env LOTSE_DB_CONN_MAX_AGE=60 $BIN/python manage.py listen_streams
supervise demo-stream $BIN/python manage.py demo_stream --base-url "http://127.0.0.1:${LOTSE_PORT:-8000}"
echo "[run] web, worker, beat, streams and demo stream are running (restarted if they crash)."
echo "[run] Open http://localhost:${LOTSE_PORT:-8000}/ — Ctrl-C stops everything."
echo "[run] Replies to demo mentions land on the demo network: ${LOTSE_DEMO_NETWORK_URL:-http://127.0.0.1:8010}/"
wait
