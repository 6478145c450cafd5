// Readiness probe for the local Cassandra: a real CQL round trip.
//   node probe.cjs <host> <port> <local dc>
// Prints release_version and exits 0 when Cassandra answers; exits 1 when it
// does not (yet); exits 3 when cassandra-driver is not installed (up.sh then
// falls back to the server log).
"use strict";

let cassandra;
try {
  cassandra = require("cassandra-driver");
} catch {
  process.exit(3);
}

const [host = "127.0.0.1", port = "9042", localDataCenter = "datacenter1"] = process.argv.slice(2);
const client = new cassandra.Client({
  contactPoints: [`${host}:${port}`],
  localDataCenter,
  socketOptions: { connectTimeout: 2000, readTimeout: 3000 },
  // One attempt: up.sh polls, so the driver must not retry on its own.
  policies: { reconnection: new cassandra.policies.reconnection.ConstantReconnectionPolicy(60000) },
});

// Never hang a poll loop, whatever the driver does.
setTimeout(() => process.exit(1), 8000).unref();

client
  .connect()
  .then(() => client.execute("SELECT release_version FROM system.local"))
  .then((result) => {
    console.log(result.first().release_version);
    return client.shutdown().then(() => process.exit(0));
  })
  .catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
