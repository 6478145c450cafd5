#!/usr/bin/env bash
# npm run stack:down [name...] — stops what this project started, and only that:
# every process with a pid file in .stack/run (the stack's components, and
# other project processes such as the web app that record theirs there).
# With names, stops only those (naming rabbitmq also stops the epmd started for
# it). A Redis, PostgreSQL or RabbitMQ (or anything else) this project did not
# start is never touched. Idempotent: stopping a stopped stack is a no-op.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$(stack_now_us)
mkdir -p "$STACK_RUN_DIR" "$STACK_STATE_DIR"
exec 9>"$STACK_STATE_DIR/lock"
if ! flock -n 9; then
  stack_log "stack: another stack:up/stack:down is running; waiting for it"
  flock -w 900 9 || stack_die "gave up waiting for the other stack:up/stack:down"
fi

# Stop order: apps that record pids here first (they use the stack), then
# Connect (it uses Kafka), then the rest.
others=()
for f in "$STACK_RUN_DIR"/*.pid; do
  [[ -e "$f" ]] || continue
  name=$(basename "$f" .pid)
  [[ " ${STACK_COMPONENTS[*]} " == *" $name "* ]] || others+=("$name")
done
order=("${others[@]}" "${STACK_COMPONENTS[@]}")

if (($# > 0)); then
  wanted=" $* "
  [[ "$wanted" == *" rabbitmq "* ]] && wanted+="epmd "
  selected=()
  for name in "${order[@]}"; do
    [[ "$wanted" == *" $name "* ]] && selected+=("$name")
  done
  order=("${selected[@]}")
fi

# Phase 1 ends with Connect gone before Kafka gets SIGTERM (its worker would
# otherwise spin on a vanishing broker); the rest are independent and stop
# in parallel; epmd, which RabbitMQ registers with, goes last.
first=()
rest=()
last=()
for name in "${order[@]}"; do
  case "$name" in
    kafka | registry | cassandra | redis | postgres | rabbitmq) rest+=("$name") ;;
    epmd) last+=("$name") ;;
    *) first+=("$name") ;;
  esac
done

# Our epmd may by now serve an Erlang node that is not ours (a RabbitMQ
# started after it): then it stays.
epmd_in_use() {
  local names
  names=$(ERL_EPMD_PORT=$STACK_EPMD_PORT epmd -port "$STACK_EPMD_PORT" -names 2>/dev/null | sed -n 's/^name \([^ ]*\) at port.*/\1/p')
  [[ -n "$names" ]] || return 1
  stack_warn "epmd: still serving $(printf '%s' "$names" | tr '\n' ' '); left running (npm run stack:down epmd stops it)"
}

stopped_any=0
for group in first rest last; do
  declare -n members=$group
  signalled=()
  t_signal=$(stack_now_us)
  for name in "${members[@]}"; do
    if [[ "$name" == epmd && ($# -eq 0 || " $* " != *" epmd "*) ]] && stack_pid epmd >/dev/null && epmd_in_use; then
      continue
    fi
    if stack_signal "$name"; then
      signalled+=("$name")
    elif stack_answers "$name"; then
      stack_log "$name: external (not started by this stack), left running"
    fi
  done
  for name in "${signalled[@]}"; do
    stack_wait_stopped "$name" "$(stack_stop_timeout "$name")" "$t_signal"
    stopped_any=1
  done
  unset -n members
done

if ((stopped_any)); then
  stack_log "stack: down in $(stack_since "$T0")"
else
  stack_log "stack: nothing of ours was running"
fi
