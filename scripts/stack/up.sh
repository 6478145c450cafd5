#!/usr/bin/env bash
# npm run stack:up [name...] — brings the native local stack (or only the named
# components, e.g. `postgres rabbitmq`; connect implies kafka) up on 127.0.0.1:
#   Kafka (KRaft) :9092, Kafka Connect :8083, Apicurio Registry :8081,
#   Cassandra :9042, Redis :6379, PostgreSQL :5432, RabbitMQ :5672.
# Downloads what is missing through Maven (cached in ~/.m2 and .stack/lib),
# builds and installs the Cassandra sink plugin when its sources changed,
# starts only what is not already running (the independent ones in parallel,
# Connect once Kafka is ready) and waits until each one really answers.
# Every process started here gets .stack/run/<name>.pid; down.sh stops only those.
# Redis, PostgreSQL and RabbitMQ already answering on their ports (e.g. the
# machine's own Debian services) are used as they are and never stopped; when
# none answers, a private one runs with its data under .stack/ (Debian's
# packages are installed first when missing).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T_TOTAL=$(stack_now_us)
mkdir -p "$STACK_LIB_DIR" "$STACK_PLUGIN_DIR" "$STACK_DATA_DIR" "$STACK_LOG_DIR" \
  "$STACK_RUN_DIR" "$STACK_STATE_DIR"

# One up/down at a time: two concurrent runs would start everything twice.
exec 9>"$STACK_STATE_DIR/lock"
if ! flock -n 9; then
  stack_log "stack: another stack:up/stack:down is running; waiting for it"
  flock -w 900 9 || stack_die "gave up waiting for the other stack:up/stack:down"
fi

# Scratch space of this run (job results, downloads before they are complete).
RUN_TMP="$STACK_STATE_DIR/tmp"
rm -rf "$RUN_TMP"
mkdir -p "$RUN_TMP"
trap 'rm -rf "$RUN_TMP"' EXIT

SINK_MODULE="$STACK_REPO_ROOT/kafka/cassandra-sink"
SINK_PLUGIN="$STACK_PLUGIN_DIR/taskflow-cassandra-sink"
SINK_CLASS=dev.taskflow.connect.cassandra.CassandraSinkConnector
CONVERTER_PLUGIN="$STACK_PLUGIN_DIR/apicurio-converter"
CONVERTER_CLASS=io.apicurio.registry.utils.converter.AvroConverter
DEFERRED_ERRORS=()   # failures that do not stop the rest of the stack

# Readiness timeouts in seconds: generous, the machine may be busy.
declare -A TIMEOUT=([kafka]=90 [connect]=120 [registry]=120 [cassandra]=180 [redis]=20
  [postgres]=60 [rabbitmq]=90)

# ================================================================ checks
check_tools() {
  local major
  major=$(stack_java_major) || true
  [[ "$major" == 17 ]] ||
    stack_die "Java 17 is required (found '${major:-none}' at $STACK_JAVA): Cassandra 5.0 runs on 11/17 only and registry 3.0.9 needs 17. Set JAVA_HOME to a JDK 17."
  command -v curl >/dev/null || stack_die "curl is required (apt-get install -y curl)"
}

# Maven, quiet, batch, never reading stdin; settings mirror everything to Central.
stack_mvn() {
  if ! command -v mvn >/dev/null; then
    printf 'ERROR: Maven (mvn) is required to download the stack (apt-get install -y maven)\n' >&2
    return 1
  fi
  mvn -q -B -Dstyle.color=never -s "$STACK_MAVEN_SETTINGS" "$@" </dev/null
}

# What an install marker must hold: the version plus a hash of the POM, so an
# edited POM re-downloads.
marker_value() { # version pom
  printf '%s %s\n' "$1" "$(sha1sum "$2" | cut -c1-12)"
}

marker_ok() { # marker-file expected-value
  [[ -f "$1" ]] && [[ "$(<"$1")" == "$2" ]]
}

fail_with_log() { # message log-file
  printf 'ERROR: %s\n' "$1" >&2
  if [[ -f "$2" ]]; then
    printf -- '--- last lines of %s ---\n' "$2" >&2
    tail -n 40 "$2" >&2
    printf -- '---\n' >&2
  fi
  return 1
}

# ============================================================= downloads
# copy-dependencies of a download-only POM into .stack/lib/<name>; skipped
# when the marker says this version is already there.
fetch_deps() { # name version pom-file [extra maven args...]
  local name=$1 version=$2 pom=$3
  shift 3
  local dest="$STACK_LIB_DIR/$name" want t0 log="$STACK_LOG_DIR/maven-$name.log"
  want=$(marker_value "$version" "$pom")
  marker_ok "$dest/.stack-version" "$want" && return 0
  stack_log "$name: downloading $version…"
  t0=$(stack_now_us)
  rm -rf "$RUN_TMP/lib-$name"
  stack_mvn -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$RUN_TMP/lib-$name" "$@" >"$log" 2>&1 ||
    fail_with_log "$name: download failed (mvn, see $log)" "$log" || return 1
  rm -rf "$dest"
  mv "$RUN_TMP/lib-$name" "$dest"
  printf '%s\n' "$want" >"$dest/.stack-version"
  stack_log "$name: downloaded $(find "$dest" -name '*.jar' | wc -l) jars in $(stack_since "$t0")"
}

fetch_kafka() {
  fetch_deps kafka "$STACK_KAFKA_VERSION" "$STACK_SCRIPTS_DIR/maven/kafka.pom.xml"
}

fetch_cassandra() {
  fetch_deps cassandra "$STACK_CASSANDRA_VERSION" "$STACK_SCRIPTS_DIR/maven/cassandra.pom.xml"
}

fetch_registry() {
  local dest="$STACK_LIB_DIR/registry" pom="$STACK_SCRIPTS_DIR/maven/registry.pom.xml"
  local want t0 log="$STACK_LOG_DIR/maven-registry.log" work="$RUN_TMP/lib-registry"
  want=$(marker_value "$STACK_REGISTRY_VERSION" "$pom")
  marker_ok "$dest/.stack-version" "$want" && return 0
  stack_log "registry: downloading $STACK_REGISTRY_VERSION…"
  t0=$(stack_now_us)
  rm -rf "$work"
  mkdir -p "$work/app"
  stack_mvn -f "$pom" dependency:copy -DoutputDirectory="$work" >"$log" 2>&1 ||
    fail_with_log "registry: download failed (mvn, see $log)" "$log" || return 1
  tar -xzf "$work"/apicurio-registry-app-*-all.tar.gz -C "$work/app"
  rm -f "$work"/apicurio-registry-app-*-all.tar.gz   # ~100 MiB, kept in ~/.m2
  [[ -f "$work/app/apicurio-registry-app-$STACK_REGISTRY_VERSION-runner.jar" ]] ||
    fail_with_log "registry: the archive has no runner jar" "$log" || return 1
  rm -rf "$dest"
  mv "$work/app" "$dest"
  printf '%s\n' "$want" >"$dest/.stack-version"
  stack_log "registry: downloaded in $(stack_since "$t0")"
}

# The Apicurio converter plugin: downloaded here; its service manifests are
# synced afterwards (needs the Kafka jars), then the marker is written.
CONVERTER_MARKER="$STACK_STATE_DIR/apicurio-converter.installed"
converter_wanted() { marker_value "$STACK_CONVERTER_VERSION" "$STACK_SCRIPTS_DIR/maven/converter.pom.xml"; }

fetch_converter() {
  local want t0 log="$STACK_LOG_DIR/maven-apicurio-converter.log" work="$RUN_TMP/plugin-converter"
  want=$(converter_wanted)
  [[ -d "$CONVERTER_PLUGIN" ]] && marker_ok "$CONVERTER_MARKER" "$want" && return 0
  stack_log "apicurio-converter: downloading $STACK_CONVERTER_VERSION…"
  t0=$(stack_now_us)
  rm -rf "$work"
  # The worker provides kafka-clients/connect-api/connect-json 3.9.1; the
  # converter's own 3.9.0 copies must not shadow them in its class loader.
  stack_mvn -f "$STACK_SCRIPTS_DIR/maven/converter.pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DexcludeArtifactIds=kafka-clients,connect-api,connect-json \
    -DoutputDirectory="$work" >"$log" 2>&1 ||
    fail_with_log "apicurio-converter: download failed (mvn, see $log)" "$log" || return 1
  rm -f "$CONVERTER_MARKER"
  rm -rf "$CONVERTER_PLUGIN"
  mv "$work" "$CONVERTER_PLUGIN"
  : >"$RUN_TMP/converter-needs-manifests"
  stack_log "apicurio-converter: downloaded $(find "$CONVERTER_PLUGIN" -name '*.jar' | wc -l) jars in $(stack_since "$t0")"
}

# With plugin.discovery=service_load, Connect finds only plugins that carry
# META-INF/services manifests; the converter's jars have none, so
# ConnectPluginPath writes a shim jar holding them into its folder.
sync_converter_manifests() {
  [[ -f "$RUN_TMP/converter-needs-manifests" ]] || return 0
  local log="$STACK_LOG_DIR/plugin-manifests.log"
  stack_kafka_tool org.apache.kafka.tools.ConnectPluginPath sync-manifests \
    --plugin-location "$CONVERTER_PLUGIN" >"$log" 2>&1 ||
    fail_with_log "apicurio-converter: ConnectPluginPath sync-manifests failed" "$log" || return 1
  stack_kafka_tool org.apache.kafka.tools.ConnectPluginPath list \
    --plugin-location "$CONVERTER_PLUGIN" >>"$log" 2>&1 || true
  # list prints one row per plugin class with its hasManifest column.
  if grep -F "$CONVERTER_CLASS" "$log" | grep -qw false; then
    fail_with_log "apicurio-converter: still no manifest after sync-manifests" "$log"
    return 1
  fi
  converter_wanted >"$CONVERTER_MARKER"
  : >"$RUN_TMP/plugins-changed"
  stack_log "apicurio-converter: service manifests synced"
}

# Our Cassandra sink (kafka/cassandra-sink, another module's contract):
# `mvn package` leaves every runtime jar in target/plugin/. Rebuilt when its
# POM or main sources are newer than the installed copy (tests do not change
# the plugin).
SINK_MARKER="$STACK_STATE_DIR/taskflow-cassandra-sink.installed"
sink_stale() {
  [[ -d "$SINK_PLUGIN" && -f "$SINK_MARKER" ]] || return 0
  [[ -n "$(find "$SINK_MODULE/pom.xml" "$SINK_MODULE/src/main" -type f \
    -newer "$SINK_MARKER" -print -quit 2>/dev/null)" ]]
}

build_sink() {
  if [[ ! -f "$SINK_MODULE/pom.xml" ]]; then
    stack_warn "cassandra-sink: kafka/cassandra-sink/pom.xml not found; Connect starts without the Cassandra sink plugin"
    return 0
  fi
  sink_stale || return 0
  local t0 log="$STACK_LOG_DIR/cassandra-sink-build.log" started="$RUN_TMP/sink-build-started"
  stack_log "cassandra-sink: building kafka/cassandra-sink…"
  t0=$(stack_now_us)
  # Stamp taken before the build: a source saved during the build stays newer.
  : >"$started"
  if ! stack_mvn -f "$SINK_MODULE/pom.xml" -DskipTests package >"$log" 2>&1; then
    fail_with_log "cassandra-sink: build failed (see $log)" "$log" || true
    return 1
  fi
  if ! compgen -G "$SINK_MODULE/target/plugin/*.jar" >/dev/null; then
    fail_with_log "cassandra-sink: the build left no jars in kafka/cassandra-sink/target/plugin/" "$log" || true
    return 1
  fi
  rm -rf "$SINK_PLUGIN"
  mkdir -p "$SINK_PLUGIN"
  cp -p "$SINK_MODULE"/target/plugin/* "$SINK_PLUGIN"/
  mv -f "$started" "$SINK_MARKER"
  : >"$RUN_TMP/plugins-changed"
  stack_log "cassandra-sink: built and installed $(find "$SINK_PLUGIN" -name '*.jar' | wc -l) jars in $(stack_since "$t0")"
}

# ================================================================ state
declare -A STATE        # ours-running | external | stopped
declare -A STARTED_AT   # stack_now_us when we launched (or began waiting)
declare -A PID
declare -A CHECKED_IN   # how long finding an external service took

# Services that may already run outside this stack and are then reused.
is_reusable() { [[ "$1" == redis || "$1" == postgres || "$1" == rabbitmq ]]; }

inspect() { # name -> STATE/PID
  local name=$1 port pid owner
  port=$(stack_component_port "$name")
  if pid=$(stack_pid "$name"); then
    STATE[$name]=ours
    PID[$name]=$pid
    return
  fi
  rm -f "$(stack_pidfile "$name")"   # stale: the process is gone or not ours
  if stack_port_open "$port"; then
    if is_reusable "$name"; then
      # Someone's own service (the machine's, usually): reuse it. A service
      # that is still starting (just installed by apt, say) gets a moment.
      local t0 deadline
      t0=$(stack_now_us)
      deadline=$((t0 + 20000000))
      until stack_answers "$name"; do
        if (($(stack_now_us) > deadline)); then
          owner=$(stack_port_owner "$port")
          stack_die "$name: something listens on port $port${owner:+ ($owner)} but does not answer as $name; stop it or set STACK_${name^^}_PORT"
        fi
        sleep 0.5
      done
      STATE[$name]=external
      CHECKED_IN[$name]=$(stack_since_ms "$t0")
      return
    fi
    owner=$(stack_port_owner "$port")
    stack_die "$name: port $port is already in use by a process this stack did not start${owner:+ ($owner)}; stop it or free the port"
  fi
  # Its other ports must be free too, or it dies half-way through start-up.
  local other_ports
  case "$name" in
    kafka) other_ports=("$STACK_KAFKA_CONTROLLER_PORT") ;;
    cassandra) other_ports=("$STACK_CASSANDRA_STORAGE_PORT" "$STACK_CASSANDRA_JMX_PORT") ;;
    rabbitmq) other_ports=("$STACK_RABBITMQ_DIST_PORT") ;;
    *) other_ports=() ;;
  esac
  for port in "${other_ports[@]}"; do
    if stack_port_open "$port"; then
      owner=$(stack_port_owner "$port")
      stack_die "$name: needs port $port, which is already in use${owner:+ ($owner)}"
    fi
  done
  STATE[$name]=stopped
}

# ================================================================ start
# Starts <cmd> in <cwd> in the background with its output in the component's
# log and records its pid. `( cd; exec … ) &` makes $! the server's own pid;
# setsid detaches it from the caller's process group, so the stack outlives
# the terminal or CI step that started it (down.sh stops it).
launch() { # name cwd cmd...
  local name=$1 cwd=$2
  shift 2
  local log="$STACK_LOG_DIR/$name.log"
  [[ -f "$log" ]] && mv -f "$log" "$log.1"   # keep the previous run's log
  # 9>&-: the server must not inherit (and so hold for ever) the stack lock.
  (cd "$cwd" && exec setsid "$@" 9>&-) >"$log" 2>&1 </dev/null &
  PID[$name]=$!
  printf '%s\n' "${PID[$name]}" >"$(stack_pidfile "$name")"
  STARTED_AT[$name]=$(stack_now_us)
  STATE[$name]=ours
  stack_log "$name: starting (pid ${PID[$name]})…"
}

# JVM settings shared by the broker and the Connect worker (Kafka's own
# kafka-run-class.sh defaults, smaller heap).
KAFKA_JVM=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
  -Djava.awt.headless=true
  "-Dlog4j.configuration=file:$STACK_SCRIPTS_DIR/kafka/log4j.properties"
  "-Dkafka.logs.dir=$STACK_LOG_DIR")

start_kafka() {
  local data="$STACK_DATA_DIR/kafka" props="$STACK_STATE_DIR/kafka.properties"
  local log="$STACK_LOG_DIR/kafka-format.log"
  mkdir -p "$data/logs"
  # shellcheck disable=SC2034  # read by stack_render through {{KAFKA_LOG_DIRS}}
  KAFKA_LOG_DIRS="$data/logs"
  stack_render "$STACK_SCRIPTS_DIR/kafka/server.properties.tmpl" "$props"
  # The cluster id is generated once and kept: `format -g` is a no-op on a
  # formatted directory only when given the same id.
  if [[ ! -s "$data/cluster-id" ]]; then
    stack_kafka_tool kafka.tools.StorageTool random-uuid >"$data/cluster-id.tmp" 2>"$log" ||
      fail_with_log "kafka: StorageTool random-uuid failed" "$log" || return 1
    mv -f "$data/cluster-id.tmp" "$data/cluster-id"
  fi
  if [[ ! -f "$data/logs/meta.properties" ]]; then
    stack_kafka_tool kafka.tools.StorageTool format -t "$(<"$data/cluster-id")" -c "$props" -g \
      >"$log" 2>&1 || fail_with_log "kafka: storage format failed" "$log" || return 1
  fi
  launch kafka "$data" "$STACK_JAVA" "${KAFKA_JVM[@]}" -cp "$STACK_KAFKA_LIB/*" kafka.Kafka "$props"
}

start_connect() {
  local data="$STACK_DATA_DIR/connect" props="$STACK_STATE_DIR/connect.properties"
  mkdir -p "$data"
  stack_render "$STACK_SCRIPTS_DIR/connect/connect-distributed.properties.tmpl" "$props"
  launch connect "$data" "$STACK_JAVA" "${KAFKA_JVM[@]}" -cp "$STACK_KAFKA_LIB/*" \
    org.apache.kafka.connect.cli.ConnectDistributed "$props"
}

start_registry() {
  local data="$STACK_DATA_DIR/registry"
  mkdir -p "$data"
  # H2 in a file (the default is in-memory): schema ids must survive restarts
  # while Kafka still holds messages that carry them. The global BACKWARD rule
  # is a start-up setting (a start without it reverts to NONE). Serial GC,
  # C1 only and a small pool keep it at ~200 MiB.
  launch registry "$data" "$STACK_JAVA" -Xms32m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dquarkus.http.host="$STACK_HOST" -Dquarkus.http.port="$STACK_REGISTRY_PORT" \
    -Dquarkus.management.host="$STACK_HOST" \
    -Dapicurio.datasource.url="jdbc:h2:file:$data/db" \
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 \
    -Dapicurio.datasource.jdbc.max-size=10 \
    -Dapicurio.rules.global.compatibility=BACKWARD \
    -jar "$STACK_LIB_DIR/registry/apicurio-registry-app-$STACK_REGISTRY_VERSION-runner.jar"
}

start_cassandra() {
  local data="$STACK_DATA_DIR/cassandra" conf="$STACK_STATE_DIR/cassandra.yaml"
  mkdir -p "$data"/{data,commitlog,saved_caches,hints,cdc_raw,triggers}
  # shellcheck disable=SC2034  # read by stack_render through {{CASSANDRA_DATA}}
  CASSANDRA_DATA="$data"
  stack_render "$STACK_SCRIPTS_DIR/cassandra/cassandra.yaml.tmpl" "$conf"
  local jvm=(
    # Heap pinned at 1 GiB. As root, JNA locks the heap: RSS ~ heap + 0.5 GiB.
    -Xms1g -Xmx1g -Xss256k
    # G1 as in upstream jvm17-server.options. No -Xmn: G1 sizes the young
    # generation itself to meet the pause target; a fixed size defeats that.
    -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1
    -XX:G1RSetUpdatingPauseTimePercent=5 -XX:MaxGCPauseMillis=300
    -XX:InitiatingHeapOccupancyPercent=70
    -XX:+UseThreadPriorities -XX:+UseTLAB -XX:+ResizeTLAB -XX:+PerfDisableSharedMem
    # Die on OOM instead of limping on with possibly corrupt state.
    -XX:+ExitOnOutOfMemoryError
    # C1 only: ready in ~6-8 s instead of 18-43 s on these 2-core machines.
    -XX:TieredStopAtLevel=1
    -Djava.net.preferIPv4Stack=true
    "${STACK_CASSANDRA_JPMS[@]}"
    -Dio.netty.tryReflectionSetAccessible=true
    -Dio.netty.allocator.useCacheForAllThreads=true -Dio.netty.allocator.maxOrder=11
    "-Dcassandra.config=file://$conf"
    "-Dlogback.configurationFile=file://$STACK_SCRIPTS_DIR/cassandra/logback.xml"
    "-Dcassandra.storagedir=$data"
    "-Dcassandra.logdir=$STACK_LOG_DIR"
    "-Dcassandra.triggers_dir=$data/triggers"
    # Keeps stdout open (our log) instead of detaching.
    -Dcassandra-foreground=yes
    # JMX on loopback only, RMI on the same port (else a random one opens).
    "-Dcassandra.jmx.local.port=$STACK_CASSANDRA_JMX_PORT"
    "-Dcom.sun.management.jmxremote.rmi.port=$STACK_CASSANDRA_JMX_PORT"
    "-Djava.rmi.server.hostname=$STACK_HOST"
    # Skips the slow memtable overhead measurement at start-up.
    -Dcassandra.memtable.row_overhead_size=180
    # No 2 s shutdown gossip announcement on a single node: SIGTERM stops in ~5 s.
    -Dcassandra.shutdown_announce_in_ms=0
  )
  launch cassandra "$data" "$STACK_JAVA" "${jvm[@]}" -cp "$STACK_LIB_DIR/cassandra/*" \
    org.apache.cassandra.service.CassandraDaemon
}

# Installs Debian's packages for the services that must run here but whose
# programs are missing: one apt-get run for all of them. apt's maintainer
# scripts may start the machine's own instance; the caller inspects again.
ensure_debian_packages() {
  local packages=() name
  for name in "$@"; do
    case "$name" in
      redis) command -v redis-server >/dev/null || packages+=(redis-server) ;;
      postgres) stack_postgres_bin >/dev/null || packages+=(postgresql) ;;
      rabbitmq) stack_rabbitmq_sbin >/dev/null && command -v epmd >/dev/null || packages+=(rabbitmq-server) ;;
    esac
  done
  ((${#packages[@]} > 0)) || return 0
  stack_log "installing Debian ${packages[*]}…"
  local sudo=() log="$STACK_LOG_DIR/apt.log" t0
  t0=$(stack_now_us)
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || stack_die "${packages[*]} missing and this is not root; apt-get install -y ${packages[*]}"
    sudo=(sudo -n)
  fi
  # Lock timeout: another apt run (e.g. install.sh's chromium) may hold dpkg.
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >"$log" 2>&1 ||
    ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${packages[@]}" >>"$log" 2>&1; then
    fail_with_log "apt-get install ${packages[*]} failed" "$log"
    exit 1
  fi
  stack_log "installed ${packages[*]} in $(stack_since "$t0")"
}

start_redis() {
  local data="$STACK_DATA_DIR/redis"
  mkdir -p "$data"
  launch redis "$data" redis-server --bind "$STACK_HOST" --port "$STACK_REDIS_PORT" \
    --protected-mode yes --daemonize no --dir "$data" --logfile ""
}

# A private PostgreSQL cluster in .stack/data/postgres, superuser `postgres`,
# trust authentication on loopback TCP only (no Unix socket: the machine's
# cluster owns /var/run/postgresql). PostgreSQL refuses to run as root, so as
# root it runs as the `postgres` user that Debian's package creates.
start_postgres() {
  local bin data="$STACK_DATA_DIR/postgres" as_user=() t0 log="$STACK_LOG_DIR/postgres-initdb.log"
  bin=$(stack_postgres_bin) || stack_die "postgres: no PostgreSQL server programs (initdb, postgres) found; apt-get install -y postgresql"
  if [[ $(id -u) -eq 0 ]]; then
    id -u postgres >/dev/null 2>&1 ||
      stack_die "postgres: PostgreSQL will not run as root and there is no 'postgres' user to run it as"
    # setpriv execs (runuser/su would fork), so the recorded pid stays the server's.
    as_user=(setpriv --reuid=postgres --regid=postgres --init-groups)
    "${as_user[@]}" test -x "$STACK_DATA_DIR" ||
      stack_die "postgres: the 'postgres' user cannot reach $STACK_DATA_DIR (a parent folder is not searchable by others); set STACK_DIR to a folder it can reach"
  fi
  if [[ ! -s "$data/PG_VERSION" ]]; then
    # initdb into a scratch folder, moved into place only when complete.
    t0=$(stack_now_us)
    rm -rf "$data" "$data.init"
    mkdir -m 700 "$data.init"
    ((${#as_user[@]} == 0)) || chown postgres: "$data.init"
    "${as_user[@]}" "$bin/initdb" -D "$data.init" -U postgres --auth=trust -E UTF8 --no-locale \
      --no-instructions >"$log" 2>&1 || fail_with_log "postgres: initdb failed" "$log" || return 1
    mv "$data.init" "$data"
    stack_log "postgres: initialized a cluster (PostgreSQL $("$bin/postgres" --version | sed -n 's/^[^0-9]*\([0-9][0-9.]*\).*/\1/p')) in $(stack_since "$t0")"
  fi
  # After a crash the lock file names the dead postmaster; PostgreSQL refuses to start
  # while that pid exists: wait while it is ours dying (a zombie not yet reaped, or
  # still in our data folder); a pid reused by another process makes the file stale.
  local old_pid old_state t_wait
  old_pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
  if [[ "$old_pid" =~ ^[0-9]+$ ]] && kill -0 "$old_pid" 2>/dev/null; then
    old_state=$(sed 's/.*) //' "/proc/$old_pid/stat" 2>/dev/null | cut -d' ' -f1)
    if [[ "$old_state" != Z && "$(readlink "/proc/$old_pid/cwd" 2>/dev/null)" != "$(cd "$data" && pwd -P)" ]]; then
      stack_warn "postgres: removing a stale postmaster.pid (its pid $old_pid now belongs to another process)"
      rm -f "$data/postmaster.pid"
    else
      t_wait=$(stack_now_us)
      while kill -0 "$old_pid" 2>/dev/null; do
        (($(stack_now_us) - t_wait < 10000000)) ||
          stack_die "postgres: process $old_pid still holds $data (postmaster.pid); stop it first"
        sleep 0.2
      done
    fi
  fi
  launch postgres "$data" "${as_user[@]}" "$bin/postgres" -D "$data" \
    -c listen_addresses="$STACK_HOST" -c port="$STACK_POSTGRES_PORT" -c unix_socket_directories=
}

# Erlang's port mapper for our RabbitMQ node, when none answers yet. Started
# here in the foreground (with a pid file) rather than left to the Erlang VM,
# which would daemonize one that outlives `stack:down`.
ensure_epmd() {
  if PID[epmd]=$(stack_pid epmd); then
    STATE[epmd]=ours
    return 0
  fi
  rm -f "$(stack_pidfile epmd)"
  stack_port_open "$STACK_EPMD_PORT" && return 0   # someone's (the machine's RabbitMQ's)
  local epmd_bin t0
  epmd_bin=$(command -v epmd) || stack_die "rabbitmq: epmd (Erlang) not found; apt-get install -y rabbitmq-server"
  mkdir -p "$STACK_DATA_DIR/epmd"
  launch epmd "$STACK_DATA_DIR/epmd" "$epmd_bin" -port "$STACK_EPMD_PORT" -address "$STACK_HOST"
  t0=$(stack_now_us)
  until stack_port_open "$STACK_EPMD_PORT"; do
    kill -0 "${PID[epmd]}" 2>/dev/null ||
      fail_with_log "epmd: exited during start-up" "$STACK_LOG_DIR/epmd.log" || return 1
    (($(stack_now_us) - t0 < 10000000)) ||
      fail_with_log "epmd: not listening after 10s" "$STACK_LOG_DIR/epmd.log" || return 1
    sleep 0.1
  done
  stack_log "epmd: ready in $(stack_since "$t0")"
}

# A private RabbitMQ node: its own node name, Mnesia folder, config and plugin
# list under .stack/, so nothing of a machine-wide RabbitMQ (/etc/rabbitmq,
# /var/lib/rabbitmq) is read or written. No plugins (the management UI would
# want port 15672). HOME is its data folder, which keeps its Erlang cookie there.
start_rabbitmq() {
  local sbin data="$STACK_DATA_DIR/rabbitmq"
  sbin=$(stack_rabbitmq_sbin) || stack_die "rabbitmq: rabbitmq-server not found; apt-get install -y rabbitmq-server"
  mkdir -p "$data/mnesia"
  ensure_epmd || return 1
  stack_render "$STACK_SCRIPTS_DIR/rabbitmq/rabbitmq.conf.tmpl" "$STACK_STATE_DIR/rabbitmq.conf"
  printf '[].\n' >"$STACK_STATE_DIR/rabbitmq-enabled-plugins"
  : >"$STACK_STATE_DIR/rabbitmq-env.conf"   # instead of /etc/rabbitmq/rabbitmq-env.conf
  # rabbitmq-server stays in the foreground as a small shell that turns
  # SIGTERM into a clean broker shutdown: it is the process we record.
  launch rabbitmq "$data" env HOME="$data" \
    RABBITMQ_NODENAME="$STACK_RABBITMQ_NODENAME" \
    RABBITMQ_NODE_IP_ADDRESS="$STACK_HOST" RABBITMQ_NODE_PORT="$STACK_RABBITMQ_PORT" \
    RABBITMQ_DIST_PORT="$STACK_RABBITMQ_DIST_PORT" ERL_EPMD_PORT="$STACK_EPMD_PORT" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CONF_ENV_FILE="$STACK_STATE_DIR/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$STACK_STATE_DIR/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$STACK_STATE_DIR/rabbitmq-advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$STACK_STATE_DIR/rabbitmq-enabled-plugins" \
    RABBITMQ_MNESIA_BASE="$data/mnesia" RABBITMQ_PID_FILE="$data/rabbitmq.pid" \
    RABBITMQ_LOG_BASE="$STACK_LOG_DIR" RABBITMQ_LOGS=- \
    "$sbin/rabbitmq-server"
}

# ============================================================= readiness
CQL_PROBE_USABLE=1

ready_kafka() {
  # The listener accepts TCP before the broker serves requests: wait for the
  # line KafkaRaftServer logs once broker and controller are both up.
  stack_port_open "$STACK_KAFKA_PORT" &&
    grep -q 'Kafka Server started' "$STACK_LOG_DIR/kafka.log" 2>/dev/null
}

ready_connect() {
  # Jetty answers 404 on / while the worker is still starting; then / gives
  # 200 + JSON, and /health (KIP-1017, 3.9) 200 once the herder has joined.
  local out
  out=$(curl -s --max-time 3 -w '\n%{http_code}' "$STACK_CONNECT_URL/" 2>/dev/null) || return 1
  [[ "${out##*$'\n'}" == 200 && "$out" == "{"* ]] || return 1
  out=$(curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$STACK_CONNECT_URL/health" 2>/dev/null) || return 1
  [[ "$out" == 200 ]]
}

ready_registry() {
  local code
  code=$(curl -s -o /dev/null --max-time 3 -w '%{http_code}' \
    "$STACK_REGISTRY_URL/apis/registry/v3/system/info" 2>/dev/null) || return 1
  [[ "$code" == 200 ]]
}

ready_cassandra() {
  stack_port_open "$STACK_CASSANDRA_PORT" || return 1
  if ((CQL_PROBE_USABLE)); then
    local rc=0
    CASSANDRA_RELEASE=$("$(stack_node)" "$STACK_SCRIPTS_DIR/cassandra/probe.cjs" \
      "$STACK_CASSANDRA_HOST" "$STACK_CASSANDRA_PORT" "$STACK_CASSANDRA_DC" 2>/dev/null) || rc=$?
    ((rc == 0)) && return 0
    ((rc == 3 || rc == 127)) || return 1
    CQL_PROBE_USABLE=0
    stack_warn "cassandra: no node/cassandra-driver for a CQL probe (npm ci not run yet); trusting the server log"
  fi
  grep -q 'Startup complete' "$STACK_LOG_DIR/cassandra.log" 2>/dev/null
}

ready_redis() { stack_redis_ping; }
ready_postgres() { stack_postgres_ping; }
ready_rabbitmq() {
  # The AMQP listener opens a few boot steps before the end of start-up.
  stack_rabbitmq_ping && grep -q 'Server startup complete' "$STACK_LOG_DIR/rabbitmq.log" 2>/dev/null
}

# ================================================================ main
# The components to bring up, in start order (Connect once Kafka is ready).
ALL_NAMES=(kafka registry cassandra redis postgres rabbitmq connect)
NAMES=()
for name in "$@"; do
  [[ " ${ALL_NAMES[*]} " == *" $name "* ]] || stack_die "unknown component '$name' (one of: ${ALL_NAMES[*]})"
done
for name in "${ALL_NAMES[@]}"; do
  if (($# == 0)) || [[ " $* " == *" $name "* ]] || [[ "$name" == kafka && " $* " == *" connect "* ]]; then
    NAMES+=("$name")
  fi
done
selected() { [[ " ${NAMES[*]} " == *" $1 "* ]]; }

if selected kafka || selected registry || selected cassandra; then check_tools; fi

for name in "${NAMES[@]}"; do inspect "$name"; done

# ---- downloads and plugin builds, in parallel
declare -A JOB=()
run_job() { # name function
  "$2" &
  JOB[$1]=$!
}
# Each fetch is a marker check when already installed, so all always run.
selected kafka && run_job kafka fetch_kafka
selected registry && run_job registry fetch_registry
selected cassandra && run_job cassandra fetch_cassandra
if selected connect; then
  run_job apicurio-converter fetch_converter
  run_job cassandra-sink build_sink
fi
# Programs for the services that must run here, then a second look: apt may
# have started the machine's own instance.
to_install=()
for name in redis postgres rabbitmq; do
  selected "$name" && [[ "${STATE[$name]}" == stopped ]] && to_install+=("$name")
done
if ((${#to_install[@]} > 0)); then
  ensure_debian_packages "${to_install[@]}"
  for name in "${to_install[@]}"; do inspect "$name"; done
fi

download_failed=0
for name in "${!JOB[@]}"; do
  if ! wait "${JOB[$name]}"; then
    if [[ "$name" == cassandra-sink ]]; then
      DEFERRED_ERRORS+=("cassandra-sink: build failed, see $STACK_LOG_DIR/cassandra-sink-build.log (Connect runs with the previously installed copy, if any)")
    else
      download_failed=1
    fi
  fi
done
((download_failed == 0)) || stack_die "downloads failed (see above); nothing was started"
if [[ -f "$RUN_TMP/converter-needs-manifests" ]]; then
  sync_converter_manifests || stack_die "the Apicurio converter plugin is not usable; nothing was started"
fi

# ---- start
# A running worker read its plugins at start-up: restart it to pick up changes.
if [[ "${STATE[connect]:-}" == ours && -f "$RUN_TMP/plugins-changed" ]]; then
  stack_log "connect: plugins changed, restarting it"
  stack_signal connect || true
  stack_wait_stopped connect "$(stack_stop_timeout connect)"
  STATE[connect]=stopped
fi

PENDING=()
for name in "${NAMES[@]}"; do
  case "${STATE[$name]}" in
    external)
      stack_log "$name: external (already answering on $STACK_HOST:$(stack_component_port "$name"), answered in ${CHECKED_IN[$name]:-?}; not managed by this stack)"
      ;;
    ours)
      if "ready_$name"; then
        stack_log "$name: already up (pid ${PID[$name]})"
      else
        stack_log "$name: running (pid ${PID[$name]}), waiting until it is ready…"
        STARTED_AT[$name]=$(stack_now_us)
        PENDING+=("$name")
      fi
      ;;
    stopped)
      [[ "$name" == connect ]] && continue   # after Kafka is ready, below
      "start_$name" || stack_die "$name: could not be started"
      PENDING+=("$name")
      ;;
  esac
done

connect_pending() { [[ "${STATE[connect]:-}" == stopped ]]; }
kafka_is_pending() { [[ " ${PENDING[*]} " == *" kafka "* ]]; }
if connect_pending && ! kafka_is_pending; then
  start_connect
  PENDING+=(connect)
fi

# ---- wait: poll every pending component until ready, dead or timed out
last_note=$(stack_now_us)
while ((${#PENDING[@]} > 0)); do
  still=()
  for name in "${PENDING[@]}"; do
    if "ready_$name"; then
      extra=""
      [[ "$name" == cassandra && -n "${CASSANDRA_RELEASE:-}" ]] && extra=" (release_version $CASSANDRA_RELEASE)"
      stack_log "$name: ready in $(stack_since "${STARTED_AT[$name]}")$extra"
      if [[ "$name" == kafka ]] && connect_pending; then
        start_connect
        still+=(connect)
      fi
      continue
    fi
    log="$STACK_LOG_DIR/$name.log"
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then
      fail_with_log "$name: exited during start-up (log: $log). Components already started keep running; npm run stack:down stops them." "$log" || true
      exit 1
    fi
    if (($(stack_now_us) - STARTED_AT[$name] > TIMEOUT[$name] * 1000000)); then
      fail_with_log "$name: not ready after ${TIMEOUT[$name]}s (log: $log). It keeps running; npm run stack:down stops it." "$log" || true
      exit 1
    fi
    still+=("$name")
  done
  PENDING=("${still[@]}")
  ((${#PENDING[@]} > 0)) || break
  if (($(stack_now_us) - last_note > 10000000)); then
    waiting=()
    for name in "${PENDING[@]}"; do waiting+=("$name $(stack_since "${STARTED_AT[$name]}")"); done
    stack_log "… still waiting for: $(IFS=,; printf '%s' "${waiting[*]}" | sed 's/,/, /g')"
    last_note=$(stack_now_us)
  fi
  sleep 0.5
done

# ---- check Connect sees the plugins the pipeline needs
if [[ "${STATE[connect]:-}" == ours ]]; then
  plugins=$(curl -s --max-time 10 "$STACK_CONNECT_URL/connector-plugins?connectorsOnly=false" || true)
  if [[ "$plugins" != *"$CONVERTER_CLASS"* ]]; then
    DEFERRED_ERRORS+=("connect: $CONVERTER_CLASS is not among its plugins (see $STACK_LOG_DIR/connect.log)")
  fi
  if [[ -d "$SINK_PLUGIN" && "$plugins" != *"$SINK_CLASS"* ]]; then
    DEFERRED_ERRORS+=("connect: $SINK_CLASS is installed but Connect does not list it (does its jar carry META-INF/services/org.apache.kafka.connect.sink.SinkConnector?)")
  fi
fi

# ---- summary
if [[ -z "${STATE[epmd]:-}" ]] && PID[epmd]=$(stack_pid epmd); then STATE[epmd]=ours; fi
total_kib=0
parts=()
for name in kafka connect registry cassandra redis postgres rabbitmq epmd; do
  [[ "${STATE[$name]:-}" == ours ]] || continue
  kib=$(stack_component_rss_kib "$name" "${PID[$name]}")
  total_kib=$((total_kib + kib))
  parts+=("$name $((kib / 1024))")
done
if ((${#parts[@]} > 0)); then
  stack_log "memory: $(awk -v k="$total_kib" 'BEGIN {printf "%.2f", k / 1048576}') GiB RSS in our processes (MiB: $(IFS=,; printf '%s' "${parts[*]}" | sed 's/,/, /g'))"
fi

if ((${#DEFERRED_ERRORS[@]} > 0)); then
  for e in "${DEFERRED_ERRORS[@]}"; do printf 'ERROR: %s\n' "$e" >&2; done
  stack_log "stack: up with errors in $(stack_since "$T_TOTAL")"
  exit 1
fi
declare -A ADDRESS=([kafka]="$STACK_KAFKA_BOOTSTRAP" [connect]="$STACK_CONNECT_URL"
  [registry]="$STACK_REGISTRY_URL" [cassandra]="$STACK_CASSANDRA_HOST:$STACK_CASSANDRA_PORT"
  [redis]="$STACK_REDIS_URL" [postgres]="$STACK_DATABASE_URL" [rabbitmq]="amqp://$STACK_HOST:$STACK_RABBITMQ_PORT")
addresses=()
for name in kafka connect registry cassandra redis postgres rabbitmq; do
  selected "$name" && addresses+=("$name ${ADDRESS[$name]}")
done
stack_log "stack: up in $(stack_since "$T_TOTAL") — $(IFS=,; printf '%s' "${addresses[*]}" | sed 's/,/, /g')"
