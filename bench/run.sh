#!/usr/bin/env bash
# npm run bench — runs every benchmark against the real, co-located stack and
# writes bench/results/*.json (summarised by hand in BENCHMARKS.md).
# Brings the stack up and bootstraps it if needed; builds the web app.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" KAFKAJS_NO_PARTITIONER_WARNING=1
bash scripts/install.sh --with-browser
bash scripts/stack/up.sh
bash scripts/setup-kafka.sh
npm run -s build
for bench in ${BENCH_ONLY:-page-view-to-row tracking-load analytics-dashboard workflow-onboarding}; do
  echo; echo "== bench: $bench"
  tsx "bench/$bench.ts"
done
