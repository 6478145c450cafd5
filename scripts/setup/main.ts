/**
 * Bootstraps the pipeline, idempotently: waits for the services, then creates
 * topics, registers schemas, applies CQL and deploys connectors. A second run
 * changes nothing and succeeds. Entry point of scripts/setup-kafka.sh.
 */
import { join } from "node:path";
import kafkajs from "kafkajs";
import { connectCassandra, applyCqlFolder, parseContactPoints } from "@taskflow/cassandra";
import { findContractsDir, loadTopicCatalog } from "@taskflow/events";
import { ensureConnectors, loadConnectorDefinitions } from "./connectors.ts";
import { parseSetupEnv } from "./env.ts";
import { httpJson } from "./http.ts";
import { ensureSchemas } from "./schemas.ts";
import { ensureTopics } from "./topics.ts";
import { waitFor } from "./wait-for.ts";

const { Kafka, logLevel } = kafkajs;

async function main(): Promise<void> {
  const env = parseSetupEnv(process.env);
  const contractsDir = findContractsDir();
  const timeoutMs = env.SETUP_WAIT_SECONDS * 1000;
  const started = Date.now();
  const topics = loadTopicCatalog(contractsDir);
  // Fail on a bad connector file before touching anything.
  const connectors = loadConnectorDefinitions(join(contractsDir, "connect"), {
    REGISTRY_V2_URL: env.CONNECT_REGISTRY_V2_URL,
    CASSANDRA_CONTACT_POINTS: env.CONNECT_CASSANDRA_CONTACT_POINTS ?? env.CASSANDRA_CONTACT_POINTS,
    CASSANDRA_PORT: String(env.CASSANDRA_PORT),
    CASSANDRA_LOCAL_DC: env.CASSANDRA_LOCAL_DC,
  });

  console.log("setup: waiting for services");
  const kafka = new Kafka({ clientId: "taskflow-setup", brokers: env.KAFKA_BROKERS.split(","), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await waitFor("kafka", async () => {
    await admin.connect();
    await admin.listTopics();
    return true;
  }, timeoutMs);
  await waitFor("schema registry", async () => {
    await httpJson("GET", `${env.SCHEMA_REGISTRY_URL}/subjects`);
    return true;
  }, timeoutMs);
  const cassandraOptions = {
    contactPoints: parseContactPoints(env.CASSANDRA_CONTACT_POINTS),
    port: env.CASSANDRA_PORT,
    localDataCenter: env.CASSANDRA_LOCAL_DC,
  };
  let cassandra: Awaited<ReturnType<typeof connectCassandra>> | undefined;
  await waitFor("cassandra", async () => {
    cassandra = await connectCassandra(cassandraOptions);
    return true;
  }, timeoutMs);
  await waitFor("kafka connect", async () => {
    // NOTE: Connect's Jetty answers 404 before its REST API is ready; only a JSON 200 counts.
    const info = await httpJson<{ version?: string }>("GET", `${env.CONNECT_URL}/`);
    return typeof info.version === "string";
  }, timeoutMs);

  try {
    console.log("setup: topics");
    await ensureTopics(admin, topics);
    console.log("setup: schemas");
    await ensureSchemas(env.SCHEMA_REGISTRY_URL, topics, contractsDir);
    console.log("setup: cassandra");
    const statements = await applyCqlFolder(cassandra!, join(contractsDir, "cassandra"));
    console.log(`  applied ${statements} idempotent CQL statements`);
    console.log("setup: connectors");
    await ensureConnectors(env.CONNECT_URL, connectors, timeoutMs);
  } finally {
    await admin.disconnect();
    await cassandra?.shutdown();
  }
  console.log(`setup: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

main().catch((error: unknown) => {
  console.error(`setup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
