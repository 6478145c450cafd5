#!/usr/bin/env bash
# The one test command (README "Quick start", .ci/run): installs what is missing,
# brings the stack up if needed, bootstraps it, runs typecheck, lint, unit,
# integration and browser tests, stops what it started, and ends with a summary.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RESULTS="$ROOT/test-results"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
export CI="${CI:-false}" KAFKAJS_NO_PARTITIONER_WARNING=1

bash scripts/install.sh --with-browser || { echo "install failed"; exit 1; }
export PATH="$ROOT/node_modules/.bin:$PATH"   # Node 24 first

# Components whose pid file this run creates are the ones it stops at the end.
source scripts/stack/lib.sh
before=$(ls "$STACK_DIR/run" 2>/dev/null | sort || true)
stop_what_we_started() {
  local after started
  after=$(ls "$STACK_DIR/run" 2>/dev/null | sort || true)
  started=$(comm -13 <(echo "$before") <(echo "$after") | sed -n 's/\.pid$//p' | tr '\n' ' ')
  if [ -n "${started// }" ]; then
    echo "test: stopping what this run started: $started"
    # shellcheck disable=SC2086
    bash scripts/stack/down.sh $started
  fi
}
trap stop_what_we_started EXIT

failures=0
step() { # name, command…: runs a step, records failure, keeps going
  local name=$1; shift
  echo; echo "== $name"
  if ! "$@"; then echo "== $name: FAILED"; failures=$((failures + 1)); return 1; fi
}

step "stack up" bash scripts/stack/up.sh || exit 1
step "bootstrap (setup-kafka.sh)" bash scripts/setup-kafka.sh || exit 1
step "typecheck" npm run -s typecheck
step "lint" npm run -s lint
step "java sink unit tests" mvn -q -f kafka/cassandra-sink/pom.xml test
step "unit tests" npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$RESULTS/unit.json"
step "integration tests" npx vitest run --project integration --reporter=default --reporter=json --outputFile.json="$RESULTS/integration.json"
step "web build" npm run -s build
step "browser tests (Playwright, Debian chromium)" env PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/e2e.json" npx playwright test

trap - EXIT
stop_what_we_started
node scripts/test-summary.mjs "$RESULTS" "$failures"
