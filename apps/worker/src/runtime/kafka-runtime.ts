import { connectCassandra } from "@taskflow/cassandra";
import { createReconciler, type EventSink } from "@taskflow/workflow";
import { CassandraRunStateStore, KafkaJobQueue, WorkflowEventPublisher, type RedisCoordinationStore } from "@taskflow/workflow-adapters";
import { answers, type RuntimeDependencies, type WorkflowRuntime } from "./workflow-runtime.ts";

/** Where the Kafka runtime keeps things (issue #4): Kafka jobs, Cassandra state. */
export interface KafkaRuntimeConfig {
  cassandra: { contactPoints: string[]; port: number; localDataCenter: string };
  groupId: string;
  /** Jobs-topic partitions handled in parallel. */
  concurrency: number;
  /** Topic overrides (tests use their own topics with the catalog's schema subjects). */
  jobsTopic?: string;
  deadLetterTopic?: string;
  eventsTopic?: string;
}

/**
 * Node jobs on the Kafka jobs topic (keyed by run id), run state in Cassandra, events
 * published to the workflow-events topic right after each commit.
 */
export async function startKafkaRuntime(config: KafkaRuntimeConfig, deps: RuntimeDependencies & { coordination: RedisCoordinationStore }): Promise<WorkflowRuntime> {
  const client = await connectCassandra(config.cassandra);
  try {
    const queue = await KafkaJobQueue.create({
      brokers: deps.brokers,
      clientId: deps.clientId,
      groupId: config.groupId,
      registry: deps.registry,
      producer: deps.producer,
      topic: config.jobsTopic,
      deadLetterTopic: config.deadLetterTopic,
      logger: deps.logger,
      partitionsConsumedConcurrently: config.concurrency,
    });
    const publisher = await WorkflowEventPublisher.create({ producer: deps.producer, registry: deps.registry, topic: config.eventsTopic, transport: "kafka" });
    const events: EventSink = {
      publish: async (published, context) => {
        await publisher.publish(published, context);
        deps.onEvents?.(published);
      },
    };
    const store = new CassandraRunStateStore(client);
    return {
      transport: "kafka",
      store,
      jobs: queue,
      events,
      publishJobs: (jobs) => queue.publish(jobs),
      reconciler: (engine, options) => createReconciler({ engine, store, coordination: deps.coordination, ...options }),
      health: async () => ({ cassandra: await answers(client.execute("SELECT release_version FROM system.local", [], { prepare: true })) }),
      close: () => client.shutdown(),
    };
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    throw error;
  }
}
