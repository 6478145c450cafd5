/**
 * Bootstraps the pipeline, idempotently: waits for the services, then creates
 * topics, registers schemas, applies CQL and deploys connectors, and, when
 * configured (see parseSetupEnv), creates and migrates the PostgreSQL database and
 * declares the RabbitMQ jobs queues of the second workflow transport. A second run
 * changes nothing and succeeds. Entry point of scripts/setup-kafka.sh.
 */
import { join } from "node:path";
import amqp from "amqplib";
import kafkajs from "kafkajs";
import { connectCassandra, applyCqlFolder, parseContactPoints } from "@taskflow/cassandra";
import { findContractsDir, loadTopicCatalog } from "@taskflow/events";
// NOTE: by path, not through @taskflow/workflow-adapters' index: setup needs only these
// two modules, not the whole runtime.
import { ensureDatabase, migratePostgres } from "../../packages/workflow-adapters/src/postgres/migrate.ts";
import { ensureJobsTopology, jobsTopology } from "../../packages/workflow-adapters/src/rabbitmq/topology.ts";
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
  const databaseUrl = env.DATABASE_URL;
  let databaseCreated = false;
  if (databaseUrl) {
    await waitFor("postgresql", async () => {
      databaseCreated = await ensureDatabase(databaseUrl);
      return true;
    }, timeoutMs);
  }
  const rabbitmqUrl = env.RABBITMQ_URL;
  if (rabbitmqUrl) {
    await waitFor("rabbitmq", async () => {
      await (await amqp.connect(rabbitmqUrl)).close();
      return true;
    }, timeoutMs);
  }

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
    console.log("setup: postgresql");
    if (databaseUrl) {
      const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
      console.log(`  database ${database}: ${databaseCreated ? "created" : "unchanged"}`);
      const migrations = await migratePostgres({ databaseUrl });
      for (const file of migrations.unchanged) console.log(`  migration ${file}: unchanged`);
      for (const file of migrations.applied) console.log(`  migration ${file}: applied`);
    } else {
      console.log("  not configured (DATABASE_URL unset, external services): skipped");
    }
    console.log("setup: rabbitmq");
    if (rabbitmqUrl) {
      const topology = jobsTopology({ queue: env.RABBITMQ_JOBS_QUEUE });
      const { created } = await ensureJobsTopology(rabbitmqUrl, topology);
      console.log(`  queue ${topology.queue} (dead letters via ${topology.deadLetterExchange} to ${topology.deadLetterQueue}): ${created ? "created" : "unchanged"}`);
    } else {
      console.log("  not configured (RABBITMQ_URL unset, external services): skipped");
    }
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
