#!/usr/bin/env bash
# Installs what the project needs and is missing: npm dependencies (which bring
# Node 24 as a devDependency) and Debian's Chromium for the browser tests.
# Java artifacts are fetched by the stack scripts (scripts/stack), which also
# apt-get install Debian's redis-server, postgresql and rabbitmq-server, but only
# when no such service answers already and its programs are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install: npm dependencies"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = "--with-browser" ] && [ ! -x /usr/bin/chromium ]; then
  echo "install: Debian chromium (for Playwright)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
fi
