import { topicByKey } from "@taskflow/events";
import { createProducer, createSchemaRegistry, FileOutbox, InteractionEmitter } from "@taskflow/kafka";
import type { WebEnv } from "../../env";
import { log } from "../log";
import { TrackingService, type TrackingConnection } from "./tracking-service";

/**
 * TRICKY: Next bundles instrumentation.ts apart from the app's routes and actions,
 * so a module-level variable would exist twice. The one service per server process
 * lives on globalThis under a registered symbol.
 */
const SLOT = Symbol.for("taskflow.web.trackingService");
type Slot = { [SLOT]?: TrackingService };

/** The service started by instrumentation.ts, if any. */
export function getTrackingService(): TrackingService | undefined {
  return (globalThis as Slot)[SLOT];
}

/** Installs `service` as the process's tracking service (start-up; tests install their own). */
export function installTrackingService(service: TrackingService | undefined): void {
  (globalThis as Slot)[SLOT] = service;
}

/**
 * Starts the process's tracking service once; later calls return the same one.
 * Opens the outbox first (a local folder: quick), and rejects if it cannot be
 * opened (unwritable, or held by another live server): start-up must stop then,
 * since tracking without it would lose events. Kafka is connected in the background.
 */
export async function startTracking(env: WebEnv): Promise<TrackingService> {
  const existing = getTrackingService();
  if (existing) return existing;
  const outbox = await FileOutbox.open({ dir: env.TRACKING_OUTBOX_DIR, logger: log });
  const service = new TrackingService({ connect: () => connectTracking(env), logger: log, outbox });
  installTrackingService(service);
  log.info("tracking starting", { brokers: env.KAFKA_BROKERS, registry: env.SCHEMA_REGISTRY_URL, outbox: outbox.dir });
  service.start();
  return service;
}

/**
 * Looks up the InteractionEvent schema id (registered by setup), then connects the
 * producer. The cheap registry lookup goes first, so a missing schema does not
 * cost a Kafka connection per attempt.
 */
async function connectTracking(env: WebEnv): Promise<TrackingConnection> {
  const topic = topicByKey("interactions", env.TASKFLOW_CONTRACTS_DIR);
  const registry = createSchemaRegistry({ url: env.SCHEMA_REGISTRY_URL, clientId: "taskflow-web" });
  const encoder = await InteractionEmitter.resolveEncoder({ registry, topic, contractsDir: env.TASKFLOW_CONTRACTS_DIR });
  log.info("interaction schema resolved", { subject: encoder.subject, schemaId: encoder.schemaId });
  const producer = await createProducer({ clientId: "taskflow-web", brokers: env.KAFKA_BROKERS, logger: log });
  const emitter = new InteractionEmitter({ producer, encoder, topic, logger: log });
  return { emitter, close: () => producer.disconnect() };
}
