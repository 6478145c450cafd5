#!/usr/bin/env bash
# Shared facts and helpers of the native local stack. Sourced, not run:
#   source scripts/stack/lib.sh
# by up.sh/down.sh/status.sh and by other project scripts that need the stack's
# addresses (STACK_KAFKA_BOOTSTRAP, STACK_CONNECT_URL, ...) or want to run a
# Kafka CLI class (stack_kafka_tool org.apache.kafka.tools.TopicCommand ...).
# It sets no shell options and prints nothing, so callers keep their own.
# shellcheck disable=SC2034  # the variables are for the scripts that source this

# ---------------------------------------------------------------- locations
STACK_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
STACK_REPO_ROOT="$(cd "$STACK_SCRIPTS_DIR/../.." && pwd -P)"
STACK_DIR="${STACK_DIR:-$STACK_REPO_ROOT/.stack}"
# Absolute, because the path is written into config files and java arguments.
case "$STACK_DIR" in /*) ;; *) STACK_DIR="$PWD/$STACK_DIR" ;; esac
STACK_LIB_DIR="$STACK_DIR/lib"
STACK_PLUGIN_DIR="$STACK_DIR/plugins"
STACK_DATA_DIR="$STACK_DIR/data"
STACK_LOG_DIR="$STACK_DIR/logs"
STACK_RUN_DIR="$STACK_DIR/run"       # <name>.pid of every process this project started
STACK_STATE_DIR="$STACK_DIR/state"   # install markers, rendered configs, lock
STACK_KAFKA_LIB="$STACK_LIB_DIR/kafka"
STACK_MAVEN_SETTINGS="$STACK_SCRIPTS_DIR/maven/settings.xml"

# ------------------------------------------------------ addresses and ports
# Everything binds to loopback only. The port variables may be overridden from
# the environment (tests do); the defaults are what apps and docs assume.
STACK_HOST=127.0.0.1
STACK_KAFKA_PORT="${STACK_KAFKA_PORT:-9092}"
STACK_KAFKA_CONTROLLER_PORT="${STACK_KAFKA_CONTROLLER_PORT:-9093}"
STACK_KAFKA_BOOTSTRAP="$STACK_HOST:$STACK_KAFKA_PORT"
STACK_CONNECT_PORT="${STACK_CONNECT_PORT:-8083}"
STACK_CONNECT_URL="http://$STACK_HOST:$STACK_CONNECT_PORT"
STACK_REGISTRY_PORT="${STACK_REGISTRY_PORT:-8081}"
STACK_REGISTRY_URL="http://$STACK_HOST:$STACK_REGISTRY_PORT"
STACK_REGISTRY_CCOMPAT_URL="$STACK_REGISTRY_URL/apis/ccompat/v7"
STACK_REGISTRY_V2_URL="$STACK_REGISTRY_URL/apis/registry/v2"   # what Connect's converter uses
STACK_CASSANDRA_HOST="$STACK_HOST"
STACK_CASSANDRA_PORT="${STACK_CASSANDRA_PORT:-9042}"
STACK_CASSANDRA_STORAGE_PORT="${STACK_CASSANDRA_STORAGE_PORT:-7000}"
STACK_CASSANDRA_JMX_PORT="${STACK_CASSANDRA_JMX_PORT:-7199}"
STACK_CASSANDRA_DC=datacenter1
STACK_REDIS_PORT="${STACK_REDIS_PORT:-6379}"
STACK_REDIS_URL="redis://$STACK_HOST:$STACK_REDIS_PORT"
# PostgreSQL and RabbitMQ: the second workflow transport (issue #6). Like Redis,
# an instance already answering on the port (e.g. the machine's own Debian
# service) is used as is; otherwise the stack runs a private one under .stack/.
STACK_POSTGRES_PORT="${STACK_POSTGRES_PORT:-5432}"
STACK_DATABASE_URL="postgres://postgres@$STACK_HOST:$STACK_POSTGRES_PORT/taskflow"
STACK_RABBITMQ_PORT="${STACK_RABBITMQ_PORT:-5672}"
STACK_RABBITMQ_DIST_PORT="${STACK_RABBITMQ_DIST_PORT:-$((STACK_RABBITMQ_PORT + 20000))}"
STACK_RABBITMQ_URL="amqp://guest:guest@$STACK_HOST:$STACK_RABBITMQ_PORT"
# Erlang's port mapper, which a RabbitMQ node registers with. Ours runs only when
# none answers (a machine's RabbitMQ usually has one running).
STACK_EPMD_PORT="${STACK_EPMD_PORT:-4369}"

# Versions (the Maven POMs under scripts/stack/maven pin the same ones).
STACK_KAFKA_VERSION=3.9.1
STACK_REGISTRY_VERSION=3.0.9
STACK_CONVERTER_VERSION=2.6.13.Final
STACK_CASSANDRA_VERSION=5.0.9

# The stack's components, in stop order (Connect uses Kafka, so it goes first;
# epmd, started only for our RabbitMQ, goes after it).
STACK_COMPONENTS=(connect kafka registry cassandra redis postgres rabbitmq epmd)

# ------------------------------------------------------------------- java
# JAVA_HOME wins; otherwise the machine's Java 17 (Cassandra 5.0 runs on 11/17
# only and registry 3.0.9 needs >= 17, so 17 is the one that fits everything).
stack_find_java() {
  if [[ -n "${JAVA_HOME:-}" ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
    return
  fi
  local d
  for d in /usr/lib/jvm/java-17-openjdk* /usr/lib/jvm/temurin-17* /usr/lib/jvm/*-17*; do
    if [[ -x "$d/bin/java" ]]; then
      printf '%s\n' "$d/bin/java"
      return
    fi
  done
  command -v java || printf '%s\n' java
}
STACK_JAVA="${STACK_JAVA:-$(stack_find_java)}"

# Prints the Java feature version (17, 21, ...) of STACK_JAVA.
stack_java_major() {
  "$STACK_JAVA" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

stack_java() { "$STACK_JAVA" "$@"; }

# Runs a Kafka CLI main class with the stack's Kafka jars, quiet logging:
#   stack_kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$STACK_KAFKA_BOOTSTRAP" --list
stack_kafka_tool() {
  local class=$1
  shift
  stack_java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j.configuration="file:$STACK_SCRIPTS_DIR/kafka/tools-log4j.properties" \
    -cp "$STACK_KAFKA_LIB/*" "$class" "$@"
}

# ------------------------------------------------------------------ helpers
stack_log() { printf '%s\n' "$*"; }
stack_warn() { printf 'WARNING: %s\n' "$*" >&2; }
stack_die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}

# Microseconds since the epoch (bash 5 $EPOCHREALTIME, no subprocess).
stack_now_us() { printf '%s\n' "${EPOCHREALTIME/./}"; }
# Seconds with one decimal between a stack_now_us value and now.
stack_since() {
  local tenths=$((($(stack_now_us) - $1) / 100000))
  printf '%d.%ds\n' $((tenths / 10)) $((tenths % 10))
}

# Milliseconds between a stack_now_us value and now, for quick steps.
stack_since_ms() { printf '%d ms\n' $((($(stack_now_us) - $1) / 1000)); }

# True when something accepts TCP connections on 127.0.0.1:<port>. A refused
# loopback connect fails at once, so no timeout is needed.
stack_port_open() {
  (exec 3<>"/dev/tcp/$STACK_HOST/$1") 2>/dev/null
}

# Prints pid and command of whoever listens on 127.0.0.1:<port>, if ss can tell.
stack_port_owner() {
  command -v ss >/dev/null 2>&1 || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -n 1
}

stack_pidfile() { printf '%s\n' "$STACK_RUN_DIR/$1.pid"; }

# Epoch seconds at which process <pid> started (Linux /proc).
stack_proc_start() {
  local stat ticks btime hz
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  # Field 22 (starttime); the command name (field 2) may hold spaces, so
  # count from after its closing parenthesis.
  stat=${stat##*) }
  ticks=$(printf '%s\n' "$stat" | awk '{print $20}')
  btime=$(awk '/^btime/ {print $2}' /proc/stat)
  hz=$(getconf CLK_TCK)
  printf '%s\n' $((btime + ticks / hz))
}

# Prints the pid recorded for <name> when that process is alive and is the one
# that was started, not another that reused the pid after a crash or reboot.
# The stack's servers run with their data folder as working directory, which
# identifies them without trusting clocks. Other project processes with a pid
# file here (e.g. the web app) must have started no later than the file was
# written (a reused pid starts later; the slack allows for clock steps).
stack_pid() {
  local name=$1 pidfile pid started written data_dir
  pidfile=$(stack_pidfile "$name")
  [[ -f "$pidfile" ]] || return 1
  pid=$(<"$pidfile")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ " ${STACK_COMPONENTS[*]} " == *" $name "* ]]; then
    data_dir=$(cd "$STACK_DATA_DIR/$name" 2>/dev/null && pwd -P) || return 1
    [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$data_dir" ]] || return 1
  else
    started=$(stack_proc_start "$pid") || return 1
    written=$(stat -c %Y "$pidfile")
    ((started <= written + 60)) || return 1
  fi
  printf '%s\n' "$pid"
}

# Resident memory of <pid> in KiB (0 when gone).
stack_rss_kib() {
  awk '/^VmRSS:/ {print $2; found=1} END {if (!found) print 0}' "/proc/$1/status" 2>/dev/null || echo 0
}

# Resident memory of component <name> running as <pid>, in KiB. RabbitMQ's
# recorded process is the small shell that runs the Erlang VM as its child, so
# its whole process tree is counted; the others are one process (PostgreSQL's
# backends share the postmaster's buffers, so adding them would double-count).
stack_component_rss_kib() {
  if [[ "$1" != rabbitmq ]]; then
    stack_rss_kib "$2"
    return
  fi
  ps -e -o pid=,ppid=,rss= 2>/dev/null | awk -v root="$2" '
    { parent[$1] = $2; rss[$1] = $3 }
    END {
      for (p in rss) {
        q = p
        while (q != "" && q != root && q > 1) q = parent[q]
        if (q == root) total += rss[p]
      }
      print total + 0
    }'
}

# Port of each component, for status lines and checks.
stack_component_port() {
  case "$1" in
    kafka) echo "$STACK_KAFKA_PORT" ;;
    connect) echo "$STACK_CONNECT_PORT" ;;
    registry) echo "$STACK_REGISTRY_PORT" ;;
    cassandra) echo "$STACK_CASSANDRA_PORT" ;;
    redis) echo "$STACK_REDIS_PORT" ;;
    postgres) echo "$STACK_POSTGRES_PORT" ;;
    rabbitmq) echo "$STACK_RABBITMQ_PORT" ;;
    epmd) echo "$STACK_EPMD_PORT" ;;
    *) echo "-" ;;
  esac
}

# True when a Redis answers PING on the Redis port (ours or anyone's).
stack_redis_ping() {
  # A subshell, so a refused connection cannot disturb the caller's fds.
  (
    exec 3<>"/dev/tcp/$STACK_HOST/$STACK_REDIS_PORT" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3 || exit 1
    [[ "$reply" == "+PONG"* ]]
  ) 2>/dev/null
}

# True when a PostgreSQL server accepts connections on the PostgreSQL port.
# pg_isready when installed; otherwise an SSLRequest, which any PostgreSQL
# answers with one byte, S or N (it cannot tell "starting up" from "ready").
stack_postgres_ping() {
  if command -v pg_isready >/dev/null 2>&1; then
    # A real role and database, or each probe logs a failed login on the server.
    pg_isready -q -h "$STACK_HOST" -p "$STACK_POSTGRES_PORT" -U postgres -d postgres -t 3 >/dev/null 2>&1
    return
  fi
  (
    exec 3<>"/dev/tcp/$STACK_HOST/$STACK_POSTGRES_PORT" || exit 1
    printf '\x00\x00\x00\x08\x04\xd2\x16\x2f' >&3
    IFS= read -r -t 3 -N 1 reply <&3 || exit 1
    [[ "$reply" == S || "$reply" == N ]]
  ) 2>/dev/null
}

# True when an AMQP 0-9-1 broker answers on the RabbitMQ port: after the
# protocol header it sends Connection.Start, a method frame (type 1). RabbitMQ
# opens its AMQP listener only once it has booted, so this is also readiness.
# (The broker logs the probe's early close as a warning; harmless.)
stack_rabbitmq_ping() {
  (
    exec 3<>"/dev/tcp/$STACK_HOST/$STACK_RABBITMQ_PORT" || exit 1
    printf 'AMQP\x00\x00\x09\x01' >&3
    IFS= read -r -t 3 -N 1 frame_type <&3 || exit 1
    [[ "$frame_type" == $'\x01' ]]
  ) 2>/dev/null
}

# True when <name>'s service answers on its port, whoever runs it. Only the
# services the stack may find already running (the machine's own) have one.
stack_answers() {
  case "$1" in
    redis) stack_redis_ping ;;
    postgres) stack_postgres_ping ;;
    rabbitmq) stack_rabbitmq_ping ;;
    *) return 1 ;;
  esac
}

# The folder with PostgreSQL's server binaries (initdb, postgres): Debian keeps
# them out of PATH, one folder per major version; the newest wins.
stack_postgres_bin() {
  if [[ -n "${STACK_POSTGRES_BIN:-}" ]]; then
    printf '%s\n' "$STACK_POSTGRES_BIN"
    return
  fi
  local d found
  found=$(for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/postgres" && -x "$d/initdb" ]] && printf '%s\n' "$d"
  done | sort -V | tail -n 1)
  if [[ -z "$found" ]] && command -v postgres >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    found=$(dirname "$(readlink -f "$(command -v postgres)")")
  fi
  [[ -n "$found" ]] || return 1
  printf '%s\n' "$found"
}

# RabbitMQ's own scripts (rabbitmq-server, rabbitmq-diagnostics). Debian's
# /usr/sbin ones are wrappers that switch to the rabbitmq user and its
# /var/lib/rabbitmq; ours runs as the caller with everything under .stack/.
stack_rabbitmq_sbin() {
  if [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; then
    printf '%s\n' /usr/lib/rabbitmq/bin
  elif command -v rabbitmq-server >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v rabbitmq-server)")"
  else
    return 1
  fi
}

# Our RabbitMQ node's name: one per port, so it never clashes with the
# machine's (rabbit@<host>) on the same epmd.
STACK_RABBITMQ_NODENAME="taskflow-$STACK_RABBITMQ_PORT@localhost"

# The Node binary for small probes: the project's Node 24 when installed.
stack_node() {
  if [[ -x "$STACK_REPO_ROOT/node_modules/.bin/node" ]]; then
    printf '%s\n' "$STACK_REPO_ROOT/node_modules/.bin/node"
  else
    command -v node || printf '%s\n' node
  fi
}

# Replaces every {{NAME}} in <template> with the value of the shell variable
# NAME and writes <output>. Fails when a placeholder is left unfilled.
stack_render() {
  local template=$1 output=$2 text name value
  text=$(<"$template")
  while [[ "$text" =~ \{\{([A-Z0-9_]+)\}\} ]]; do
    name=${BASH_REMATCH[1]}
    [[ -n "${!name+set}" ]] || stack_die "$template: no value for {{$name}}"
    value=${!name}
    text=${text//"{{$name}}"/"$value"}
  done
  printf '%s\n' "$text" >"$output.tmp"
  mv -f "$output.tmp" "$output"
}

# Sends SIGTERM to <name> when it is running and ours. Returns 1 when it was
# not running (its stale pid file, if any, is removed).
stack_signal() {
  local pid
  if ! pid=$(stack_pid "$1"); then
    rm -f "$(stack_pidfile "$1")"
    return 1
  fi
  kill "-$(stack_stop_signal "$1")" "$pid" 2>/dev/null || true
}

# The signal that stops <name> cleanly and promptly. PostgreSQL's SIGTERM is a
# "smart" shutdown that waits for every client (a worker's pool) to leave;
# SIGINT is its "fast" one: roll back open transactions, checkpoint, exit.
stack_stop_signal() {
  case "$1" in
    postgres) echo INT ;;
    *) echo TERM ;;
  esac
}

# Waits up to <timeout> seconds for <name> to exit after stack_signal, then
# SIGKILLs it; removes its pid file. Prints how long it took since [t0] (a
# stack_now_us value taken when it was signalled; default now).
stack_wait_stopped() {
  local name=$1 timeout=$2 t0=${3:-$(stack_now_us)} pid
  if pid=$(stack_pid "$name"); then
    while kill -0 "$pid" 2>/dev/null; do
      if (($(stack_now_us) - t0 > timeout * 1000000)); then
        stack_warn "$name: still running after ${timeout}s, sending SIGKILL"
        # A server launched with setsid leads its own process group: kill the group, so
        # children (RabbitMQ's Erlang VM under its shell, PostgreSQL's backends) go too
        # instead of living on, orphaned, on the port.
        if [[ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" == "$pid" ]]; then
          kill -KILL -- "-$pid" 2>/dev/null || true
        else
          kill -KILL "$pid" 2>/dev/null || true
        fi
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
        break
      fi
      sleep 0.2
    done
  fi
  rm -f "$(stack_pidfile "$name")"
  stack_log "$name: stopped in $(stack_since "$t0")"
}

# Seconds down.sh (and up.sh, when restarting Connect) waits after SIGTERM.
stack_stop_timeout() {
  case "$1" in
    kafka | cassandra) echo 60 ;;
    *) echo 30 ;;
  esac
}

# Java module flags Cassandra 5.0 needs on Java 17: the set of upstream
# conf/jvm17-server.options, plus the few STACK.md names from the 5.0 line.
# Shared with nodetool.sh, which talks JMX with the same classes.
STACK_CASSANDRA_JPMS=(
  -Djdk.attach.allowAttachSelf=true
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-exports java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
  --add-exports java.sql/java.sql=ALL-UNNAMED
  --add-exports java.base/java.lang.ref=ALL-UNNAMED
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
  --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
  --add-opens java.base/java.lang.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
  --add-opens java.base/jdk.internal.math=ALL-UNNAMED
  --add-opens java.base/jdk.internal.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens java.base/java.math=ALL-UNNAMED
  --add-opens java.base/java.net=ALL-UNNAMED
)
