/**
 * Where the integration tests find the real services. Defaults are the native
 * stack's; the same variables point the tests at an external stack.
 */
import cassandra from "cassandra-driver";
import { Kafka, logLevel } from "kafkajs";
import { connectCassandra, parseContactPoints } from "@taskflow/cassandra";

export const services = {
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","),
  registryUrl: process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:8081/apis/ccompat/v7",
  connectUrl: process.env.CONNECT_URL ?? "http://127.0.0.1:8083",
  cassandra: {
    contactPoints: parseContactPoints(process.env.CASSANDRA_CONTACT_POINTS ?? "127.0.0.1"),
    port: Number(process.env.CASSANDRA_PORT ?? 9042),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? "datacenter1",
  },
} as const;

export const INTERACTIONS_CONNECTOR = "taskflow-interactions-cassandra-sink";

export function testKafka(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [...services.kafkaBrokers], logLevel: logLevel.NOTHING });
}

export function testCassandra(): Promise<cassandra.Client> {
  return connectCassandra(services.cassandra);
}

/** Polls until `probe` returns a value (not undefined), or fails after `timeoutMs` with `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Reads one interaction row by id, prepared. */
export async function findInteraction(client: cassandra.Client, id: string): Promise<cassandra.types.Row | undefined> {
  const result = await client.execute("SELECT id, action, who, what, time FROM taskflow.interactions WHERE id = ?", [id], {
    prepare: true,
  });
  return result.first() ?? undefined;
}

export async function connectorState(name: string): Promise<{ connector: string; tasks: string[] }> {
  const response = await fetch(`${services.connectUrl}/connectors/${name}/status`);
  if (!response.ok) throw new Error(`connector status ${response.status}`);
  const body = (await response.json()) as { connector: { state: string }; tasks: { state: string }[] };
  return { connector: body.connector.state, tasks: body.tasks.map((t) => t.state) };
}
