#!/usr/bin/env bash
# The one start command (README "Quick start"): installs what is missing, starts
# the local stack (or uses external services when their variables are set),
# bootstraps it, builds the web app and serves it with `next start`, and starts
# the projector (analytics rollups, run status) and the workflow workers: one per
# transport, so /runs can start runs on Kafka and on RabbitMQ.
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
PROJECTOR_PORT="${PROJECTOR_HTTP_PORT:-3200}"
# Each transport's worker has its own /health port, pid file and log (stack:down stops both).
KAFKA_WORKER_PORT="${WORKER_HTTP_PORT:-3300}"
RABBITMQ_WORKER_PORT="${RABBITMQ_WORKER_HTTP_PORT:-3301}"
# Restart what an earlier `npm start` left running, so it serves the new build.
for name in web projector worker worker-rabbitmq; do
  pidfile="$STACK_DIR/run/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "start: restarting $name (pid $(cat "$pidfile"))"
    kill "$(cat "$pidfile")"; while kill -0 "$(cat "$pidfile")" 2>/dev/null; do sleep 0.2; done
    rm -f "$pidfile"
  fi
done
bash scripts/run-background.sh projector apps/projector "$ROOT/node_modules/.bin/node" --import tsx src/main.ts
WORKFLOW_TRANSPORT=kafka WORKER_HTTP_PORT=$KAFKA_WORKER_PORT \
  bash scripts/run-background.sh worker apps/worker "$ROOT/node_modules/.bin/node" --import tsx src/main.ts
WORKFLOW_TRANSPORT=rabbitmq WORKER_HTTP_PORT=$RABBITMQ_WORKER_PORT \
  bash scripts/run-background.sh worker-rabbitmq apps/worker "$ROOT/node_modules/.bin/node" --import tsx src/main.ts
PORT=$PORT bash scripts/run-background.sh web apps/web "$ROOT/node_modules/.bin/next" start -H 127.0.0.1 -p "$PORT"

# One summary line per background process: its /health answer, or where to look.
health_line() { # label, url, log name
  local answer="not healthy yet; see $STACK_DIR/logs/$3.log"
  for _ in $(seq 1 30); do
    if curl -fs -o /dev/null "$2"; then answer=ok; break; fi
    sleep 0.5
  done
  printf '  %-28s %-40s %s\n' "$1" "$2" "$answer"
}
for _ in $(seq 1 120); do
  if curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/health"; then
    echo
    echo "TaskFlow is up: http://127.0.0.1:$PORT/   (logs: $STACK_DIR/logs, stop: npm run stack:down)"
    health_line "projector" "http://127.0.0.1:$PROJECTOR_PORT/health" projector
    health_line "workflow worker (Kafka)" "http://127.0.0.1:$KAFKA_WORKER_PORT/health" worker
    health_line "workflow worker (RabbitMQ)" "http://127.0.0.1:$RABBITMQ_WORKER_PORT/health" worker-rabbitmq
    exit 0
  fi
  sleep 0.5
done
echo "start: the web app did not become healthy on port $PORT; see $STACK_DIR/logs/web.log" >&2
tail -n 30 "$STACK_DIR/logs/web.log" >&2
exit 1
