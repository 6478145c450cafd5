#!/usr/bin/env bash
# Cassandra's nodetool against the local stack's node, over JMX on loopback:
#   bash scripts/stack/nodetool.sh status
# nodetool ships inside cassandra-all; it needs the same Java module flags as
# the server and a logback file of its own (the server's logs to stdout).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$STACK_LIB_DIR/cassandra/.stack-version" ]] ||
  stack_die "Cassandra is not installed yet: run npm run stack:up first"

exec "$STACK_JAVA" -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
  "${STACK_CASSANDRA_JPMS[@]}" \
  "-Dlogback.configurationFile=file://$STACK_SCRIPTS_DIR/cassandra/logback-tools.xml" \
  "-Dcassandra.config=file://$STACK_STATE_DIR/cassandra.yaml" \
  "-Dcassandra.storagedir=$STACK_DATA_DIR/cassandra" \
  -cp "$STACK_LIB_DIR/cassandra/*" org.apache.cassandra.tools.NodeTool \
  -h "$STACK_HOST" -p "$STACK_CASSANDRA_JMX_PORT" "$@"
