#!/usr/bin/env bash
# The one start command (README "Quick start"): installs what is missing, starts
# the local stack (or uses external services when their variables are set),
# bootstraps it, builds the web app and serves it with `next start`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bash scripts/install.sh
export PATH="$ROOT/node_modules/.bin:$PATH"   # Node 24 first
source scripts/stack/lib.sh

if [ -n "${KAFKA_BROKERS:-}" ] || [ -n "${CASSANDRA_CONTACT_POINTS:-}" ]; then
  # External services: the local stack is not started (README "External services").
  echo "start: external services configured (KAFKA_BROKERS / CASSANDRA_CONTACT_POINTS set); not starting the local stack"
else
  bash scripts/stack/up.sh
fi
bash scripts/setup-kafka.sh

echo "start: building the web app"
npm run -s build

PORT="${PORT:-3000}"
pidfile="$STACK_DIR/run/web.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "start: web app already running (pid $(cat "$pidfile")); restarting it on the new build"
  kill "$(cat "$pidfile")"; while kill -0 "$(cat "$pidfile")" 2>/dev/null; do sleep 0.2; done
fi
mkdir -p "$STACK_DIR/run" "$STACK_DIR/logs"
# NOTE: start next itself, not through npx/npm, so the pid is the server's.
( cd apps/web; exec "$ROOT/node_modules/.bin/next" start -H 127.0.0.1 -p "$PORT" ) >>"$STACK_DIR/logs/web.log" 2>&1 &
echo $! >"$pidfile"
for _ in $(seq 1 60); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo
    echo "TaskFlow is up: http://127.0.0.1:$PORT/   (logs: $STACK_DIR/logs, stop: npm run stack:down)"
    exit 0
  fi
  sleep 0.5
done
echo "start: the web app did not answer on port $PORT; see $STACK_DIR/logs/web.log" >&2
tail -n 30 "$STACK_DIR/logs/web.log" >&2
exit 1
