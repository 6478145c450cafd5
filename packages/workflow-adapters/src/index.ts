export { RedisCoordinationStore, type RedisCoordinationStoreOptions } from "./redis/redis-coordination-store.ts";
export {
  CassandraRunStateStore,
  STATUS_BUCKETS,
  statusBucket,
  type CassandraRunStateStoreOptions,
  type NewRun,
  type NodeEffect,
} from "./cassandra/cassandra-run-state-store.ts";
export { KafkaJobQueue, type JobDelivery, type JobHandler, type KafkaJobQueueOptions } from "./kafka/kafka-job-queue.ts";
export {
  WorkflowEventPublisher,
  toWorkflowEventRecord,
  type RunEventContext,
  type WorkflowEventPublisherOptions,
  type WorkflowEventRecord,
} from "./kafka/workflow-event-publisher.ts";
export { DEAD_LETTER_HEADERS, JOB_HEADERS, workflowEventId, type DeadLetterReason } from "./kafka/workflow-messages.ts";
export { AvroTopicConsumer, type AvroTopicConsumerOptions, type RecordMeta } from "./kafka/avro-topic-consumer.ts";
export { deadLetterRecord, decodeAvroRecord, type DeadLetterRequest } from "./kafka/record-handling.ts";
export {
  ControlPublisher,
  LIFECYCLE_EVENT_TYPES,
  WORKFLOW_COMMAND_TYPES,
  WORKFLOW_TRANSPORTS,
  controlEncoder,
  lifecycleEventRecordSchema,
  lifecycleEventSchema,
  lifecycleTopic,
  runIdFor,
  workflowCommandRecordSchema,
  workflowCommandSchema,
  workflowCommandsTopic,
  type LifecycleEvent,
  type LifecycleEventDraft,
  type LifecycleEventType,
  type WorkflowCommand,
  type WorkflowCommandDraft,
  type WorkflowCommandType,
  type WorkflowTransport,
} from "./kafka/control-messages.ts";
export { RabbitMqJobQueue, type RabbitMqJobDelivery, type RabbitMqJobHandler, type RabbitMqJobQueueOptions } from "./rabbitmq/rabbitmq-job-queue.ts";
export {
  RABBITMQ_DEAD_LETTER_HEADERS,
  RABBITMQ_JOB_HEADERS,
  decodeJobMessage,
  encodeJobMessage,
  type DecodedJobMessage,
  type JobMessageMeta,
  type UndecodableJobMessage,
} from "./rabbitmq/job-messages.ts";
export {
  OUTBOX_CHANNEL,
  PostgresRunStateStore,
  parseOutboxEvent,
  type OutboxEventJson,
  type PostgresNewRun,
  type PostgresRunStateStoreOptions,
} from "./postgres/postgres-run-state-store.ts";
export { OutboxEventSink, OutboxRelay, type OutboxPublisher, type OutboxRelayOptions } from "./postgres/outbox-relay.ts";
export { createRabbitMqReconciler, type RabbitMqReconcilerOptions } from "./postgres/rabbitmq-reconciler.ts";
export {
  DEFAULT_JOBS_QUEUE,
  assertJobsTopology,
  ensureJobsTopology,
  jobsTopology,
  type JobsTopology,
  type JobsTopologyOptions,
} from "./rabbitmq/topology.ts";
export { NATIVE_DATABASE_URL, NATIVE_RABBITMQ_URL, connectionUrl, databaseUrlSchema, rabbitMqUrlSchema } from "./connection-urls.ts";
