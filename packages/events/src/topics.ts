import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { findContractsDir } from "./contracts-dir.ts";

const topicSpecSchema = z.object({
  key: z.string().min(1),
  name: z.string().min(1),
  partitions: z.number().int().positive(),
  retentionMs: z.number().int().positive(),
  valueSchema: z.string().optional(),
  messageKey: z.string(),
  deadLetter: z.string().optional(),
});

const topicCatalogSchema = z.object({ topics: z.array(topicSpecSchema).min(1) });

export type TopicSpec = z.infer<typeof topicSpecSchema>;

/** Loads and validates `kafka/topics.json`, the one list of topic names. */
export function loadTopicCatalog(contractsDir = findContractsDir()): TopicSpec[] {
  const raw: unknown = JSON.parse(readFileSync(join(contractsDir, "topics.json"), "utf8"));
  return topicCatalogSchema.parse(raw).topics;
}

/** The topic with the given catalog key (e.g. `interactions`); throws if the catalog lacks it. */
export function topicByKey(key: string, contractsDir?: string): TopicSpec {
  const topic = loadTopicCatalog(contractsDir).find((t) => t.key === key);
  if (!topic) throw new Error(`kafka/topics.json has no topic with key "${key}"`);
  return topic;
}

/** Confluent naming: a topic's value schema is registered under `<topic>-value`. */
export function valueSubject(topicName: string): string {
  return `${topicName}-value`;
}
