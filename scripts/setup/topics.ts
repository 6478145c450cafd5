import kafkajs, { type Admin, type ITopicConfig } from "kafkajs";
import type { TopicSpec } from "@taskflow/events";

// NOTE: kafkajs is CommonJS; Node's ESM loader only exposes its default export.
const { ConfigResourceTypes } = kafkajs;

/**
 * Creates missing topics and brings retention of existing ones to the catalog's
 * value. Partitions are only ever added (Kafka cannot remove them).
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing: ITopicConfig[] = specs
    .filter((s) => !existing.has(s.name))
    .map((s) => ({
      topic: s.name,
      numPartitions: s.partitions,
      replicationFactor: 1,
      configEntries: [{ name: "retention.ms", value: String(s.retentionMs) }],
    }));
  if (missing.length > 0) {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
    for (const t of missing) console.log(`  topic ${t.topic}: created (${t.numPartitions} partitions)`);
  }

  const present = specs.filter((s) => existing.has(s.name));
  if (present.length === 0) return;
  const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configNames: ["retention.ms"] })),
  });
  for (const spec of present) {
    const partitions = metadata.topics.find((t) => t.name === spec.name)?.partitions.length ?? 0;
    if (partitions < spec.partitions) {
      await admin.createPartitions({ topicPartitions: [{ topic: spec.name, count: spec.partitions }] });
      console.log(`  topic ${spec.name}: partitions ${partitions} → ${spec.partitions}`);
    }
    const retention = configs.resources
      .find((r) => r.resourceName === spec.name)
      ?.configEntries.find((e) => e.configName === "retention.ms")?.configValue;
    if (retention !== String(spec.retentionMs)) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: spec.name,
            configEntries: [{ name: "retention.ms", value: String(spec.retentionMs) }],
          },
        ],
      });
      console.log(`  topic ${spec.name}: retention.ms ${retention} → ${spec.retentionMs}`);
    }
    if (partitions >= spec.partitions && retention === String(spec.retentionMs)) {
      console.log(`  topic ${spec.name}: unchanged`);
    }
  }
}
