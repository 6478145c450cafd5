import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseWorkerEnv } from "../apps/worker/src/env.ts";
import { parseSetupEnv } from "../scripts/setup/env.ts";

/** docker-compose.yml cannot run on machines without a Docker engine; this keeps it consistent with the native stack. */

/** A service's environment as Compose passes it: `${NAME:-default}` resolved to its default. */
function resolvedEnv(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, "$1")]),
  );
}
interface ComposeService {
  image?: string;
  ports?: string[];
  command?: string | string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string | string[] };
  depends_on?: Record<string, { condition: string }>;
}
// NOTE: merge keys (`<<: *anchor`) are YAML 1.1, as Compose reads them.
const compose = parse(readFileSync("docker-compose.yml", "utf8"), { merge: true }) as {
  services: Record<string, ComposeService>;
  configs: Record<string, { content: string }>;
};

describe("docker-compose.yml", () => {
  it("has the same components as the native stack, at the same versions", () => {
    const { services } = compose;
    for (const name of ["kafka", "connect", "registry", "cassandra", "redis", "postgres", "rabbitmq", "setup", "web", "projector", "worker", "worker-rabbitmq"]) {
      expect(services[name], name).toBeDefined();
    }
    expect(services.kafka!.image).toBe("apache/kafka:3.9.1");
    expect(services.connect!.image).toBe("apache/kafka:3.9.1");
    expect(services.registry!.image).toBe("apicurio/apicurio-registry:3.0.9");
    expect(services.cassandra!.image).toMatch(/^cassandra:5\.0/);
  });

  it("publishes ports on 127.0.0.1 only, on the native stack's port numbers", () => {
    const published = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(published.length).toBeGreaterThan(0);
    for (const port of published) expect(port).toMatch(/^127\.0\.0\.1:/);
    const hostPorts = published.map((p) => p.split(":")[1]).sort();
    // 15672: RabbitMQ's management UI, which only the Docker stack has.
    expect(hostPorts).toEqual(["15672", "3000", "3200", "3300", "3301", "5432", "5672", "6379", "8081", "8083", "9042", "9092"]);
  });

  it("bootstraps with the repository's own setup script and fills every connector placeholder", () => {
    const setup = compose.services.setup!;
    expect(setup.command).toEqual(["bash", "scripts/setup-kafka.sh"]);
    expect(existsSync("scripts/setup-kafka.sh")).toBe(true);
    const placeholders = new Set<string>();
    // Every connector file: setup deploys them all, so each one's placeholders must be filled.
    const connectorFiles = readdirSync("kafka/connect").filter((f) => f.endsWith(".json"));
    expect(connectorFiles).toEqual(expect.arrayContaining(["interactions-sink.json", "workflow-events-sink.json"]));
    for (const file of connectorFiles) {
      for (const m of readFileSync(`kafka/connect/${file}`, "utf8").matchAll(/\$\{([A-Z0-9_]+)\}/g)) placeholders.add(m[1]!);
    }
    // scripts/setup/main.ts fills these from the CONNECT_* variables the setup service sets.
    expect([...placeholders].sort()).toEqual(["CASSANDRA_CONTACT_POINTS", "CASSANDRA_LOCAL_DC", "CASSANDRA_PORT", "REGISTRY_V2_URL"]);
    expect(setup.environment?.CONNECT_REGISTRY_V2_URL).toMatch(/\/apis\/registry\/v2$/);
    expect(setup.environment?.CONNECT_CASSANDRA_CONTACT_POINTS).toBe("cassandra");
  });

  it("runs PostgreSQL 16 and RabbitMQ 3 with healthchecks that setup waits for", () => {
    const { postgres, rabbitmq, setup } = compose.services;
    expect(postgres!.image).toMatch(/^postgres:16(\.|$)/);
    expect(rabbitmq!.image).toMatch(/^rabbitmq:3(\.\d+)*-management$/);
    expect(JSON.stringify(postgres!.healthcheck?.test)).toContain("pg_isready");
    expect(JSON.stringify(rabbitmq!.healthcheck?.test)).toContain("rabbitmq-diagnostics");
    expect(postgres!.environment?.POSTGRES_DB).toBe("taskflow");
    expect(setup!.depends_on).toMatchObject({ postgres: { condition: "service_healthy" }, rabbitmq: { condition: "service_healthy" } });
    // Setup migrates the database and declares the queues on the Compose services' addresses.
    const setupEnv = parseSetupEnv(resolvedEnv(setup!));
    expect(new URL(setupEnv.DATABASE_URL!).host).toBe("postgres:5432");
    expect(new URL(setupEnv.RABBITMQ_URL!).host).toBe("rabbitmq:5672");
  });

  it("runs a worker per transport, each with a valid configuration on the Compose services", () => {
    const kafkaWorker = parseWorkerEnv(resolvedEnv(compose.services.worker!));
    const rabbitWorker = parseWorkerEnv(resolvedEnv(compose.services["worker-rabbitmq"]!));
    expect([kafkaWorker.WORKFLOW_TRANSPORT, rabbitWorker.WORKFLOW_TRANSPORT]).toEqual(["kafka", "rabbitmq"]);
    expect(rabbitWorker.WORKER_HTTP_PORT).not.toBe(kafkaWorker.WORKER_HTTP_PORT);
    for (const env of [kafkaWorker, rabbitWorker]) {
      expect(new URL(env.DATABASE_URL).host).toBe("postgres:5432");
      expect(new URL(env.RABBITMQ_URL).host).toBe("rabbitmq:5672");
      expect(env.REDIS_URL).toBe("redis://redis:6379");
      expect(env.KAFKA_BROKERS).toBe("kafka:29092");
    }
    for (const name of ["worker", "worker-rabbitmq", "projector"]) {
      expect(compose.services[name]!.depends_on).toMatchObject({ setup: { condition: "service_completed_successfully" } });
    }
  });

  it("gives Connect the plugin folder the plugin builder fills", () => {
    expect(compose.configs["connect-properties"]!.content).toContain("plugin.path=/opt/connect-plugins");
    const builder = JSON.stringify(compose.services["connect-plugins"]!.command);
    expect(builder).toContain("kafka/cassandra-sink/pom.xml");
    const pomPath = /-f (scripts\/stack\/maven\/[\w.-]+\.xml) dependency:copy-dependencies/.exec(builder)?.[1];
    expect(pomPath && existsSync(pomPath), `converter POM ${pomPath} exists`).toBe(true);
  });
});
