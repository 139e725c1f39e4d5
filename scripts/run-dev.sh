#!/usr/bin/env bash
# `make run`'s server: the web server, with the job worker (db_worker: sends the mail) and the sweeps
# (due reminders, every 60 s) beside it. Ctrl-C, a TERM, or any of the three ending stops all three.
set -u
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
pids=()

stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    # Each runs in a session of its own: the negative id reaches its children too (the autoreloaders
    # of runserver and db_worker run the real process as a child).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() {
  setsid "$@" &
  pids+=("$!")
}
start "$BIN/needlechart" manage runserver "$HOST:$PORT"
start "$BIN/needlechart" manage db_worker --interval 1
start "$BIN/needlechart" manage run_sweeps --every 60
echo "NeedleChart: web server, job worker and sweeps running (mail is printed here); Ctrl-C stops all three."
wait -n
status=$?
echo "NeedleChart: a process stopped (status $status); stopping the others." >&2
exit "$status"
