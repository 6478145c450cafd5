#!/usr/bin/env bash
# Starts one of the project's long-lived Node processes (web, projector…) in the
# background with a pid file in .stack/run and a log in .stack/logs, so
# `npm run stack:down` stops it. Usage: run-background.sh <name> <dir> <command…>
# Does nothing when that process is already running.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/stack/lib.sh
name=$1 dir=$2; shift 2
pidfile="$STACK_DIR/run/$name.pid"
mkdir -p "$STACK_DIR/run" "$STACK_DIR/logs"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "$name: already running (pid $(cat "$pidfile"))"
  exit 0
fi
# NOTE: exec the program itself (not npm/npx) so the pid file holds the real pid.
( cd "$dir"; exec "$@" ) >>"$STACK_DIR/logs/$name.log" 2>&1 < /dev/null &
echo $! >"$pidfile"
echo "$name: started (pid $!, log $STACK_DIR/logs/$name.log)"
