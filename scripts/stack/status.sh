#!/usr/bin/env bash
# npm run stack:status — one line per component:
#   name  up|down  port  pid | external | -
# "external" = something this stack did not start answers on the port (e.g. a
# machine-wide Redis, PostgreSQL or RabbitMQ). epmd is listed only when ours
# runs (for our RabbitMQ). Also lists other project processes with a pid file in
# .stack/run (e.g. the web app). Always exits 0: it reports, it does not judge.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

row() { printf '%-10s %-5s %-6s %s\n' "$@"; }

names=(kafka connect registry cassandra redis postgres rabbitmq)
for f in "$STACK_RUN_DIR"/*.pid; do
  [[ -e "$f" ]] || continue
  name=$(basename "$f" .pid)
  [[ " ${names[*]} " == *" $name "* ]] || names+=("$name")
done

total_kib=0
for name in "${names[@]}"; do
  port=$(stack_component_port "$name")
  pid=""
  pid=$(stack_pid "$name") || pid=""
  if [[ "$port" == - ]]; then
    up=down
    [[ -n "$pid" ]] && up=up
  elif stack_port_open "$port"; then
    up=up
  else
    up=down
  fi
  if [[ -n "$pid" ]]; then
    kib=$(stack_component_rss_kib "$name" "$pid")
    total_kib=$((total_kib + kib))
    row "$name" "$up" "$port" "$pid  ($((kib / 1024)) MiB)"
  elif [[ "$up" == up ]]; then
    row "$name" "$up" "$port" external
  else
    row "$name" "$up" "$port" -
  fi
done
printf 'total RSS of our processes: %s GiB   (data, logs: %s)\n' \
  "$(awk -v k="$total_kib" 'BEGIN {printf "%.2f", k / 1048576}')" "$STACK_DIR"
