import { randomUUID } from "node:crypto";
import type { KafkaMessage } from "kafkajs";
import { services, testKafka } from "../../../../tests/support/services.ts";

/**
 * Helpers for this folder's integration tests: throwaway topics (so no other consumer
 * of the shared jobs topic interferes) and a collector for a dead-letter topic.
 */
export const kafka = testKafka("workflow-adapters-it");
export const brokers = [...services.kafkaBrokers];

/** Creates uniquely named topics; returns their names in order. */
export async function createTestTopics(...topics: { prefix: string; partitions: number }[]): Promise<string[]> {
  const named = topics.map((t) => ({ topic: `it-${t.prefix}-${randomUUID().slice(0, 8)}`, numPartitions: t.partitions, replicationFactor: 1 }));
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: named, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return named.map((t) => t.topic);
}

export async function deleteTestTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

/** The group's committed offset per partition (-1 when none). */
export async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Reads every record of `topic` from the beginning into `records` until `stop()`. */
export async function collectRecords(topic: string): Promise<{ records: KafkaMessage[]; stop: () => Promise<void> }> {
  const records: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: `it-collector-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
  return { records, stop: () => consumer.disconnect() };
}

/** Polls `condition` every 50 ms; fails after `timeoutMs` naming `what`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function header(message: KafkaMessage, name: string): string | undefined {
  return message.headers?.[name]?.toString();
}
