#!/usr/bin/env bash
# Bootstraps the pipeline (topics, Avro schemas, CQL, Connect connectors) against
# running services. Idempotent: running it twice changes nothing and succeeds.
# Service locations come from the environment (see scripts/setup/env.ts); the
# defaults are the native stack's (npm run stack:up).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
exec ./node_modules/.bin/tsx scripts/setup/main.ts
