export {
  classifyError,
  isRetriable,
  withDeadline,
  DeadlineExceededError,
  InvalidRecordError,
  KafkaSendError,
  SchemaNotRegisteredError,
  TaskflowKafkaError,
  type FailureKind,
} from "./errors.ts";
export { jsonLinesLogger, silentLogger, describeError, serializeFields, type Logger, type LogFields, type LogLevel } from "./logger.ts";
export {
  createProducer,
  safeProducerConfig,
  ACKS_ALL,
  DEFAULT_SEND_RETRY,
  type Producer,
  type ProducerOptions,
  type SendRecord,
} from "./producer.ts";
export {
  createSchemaRegistry,
  resolveSchemaId,
  createAvroValueEncoder,
  type AvroValueEncoder,
  type SchemaRegistryOptions,
} from "./registry.ts";
export { frameConfluent, unframeConfluent, encodeConfluentAvro, decodeConfluentAvro, MAGIC_BYTE, HEADER_LENGTH } from "./wire-format.ts";
export { InteractionEmitter, type InteractionEmitterDeps, type EmitAck, type EmitBatchAck, type EmitOptions } from "./interaction-emitter.ts";
export {
  comparePositions,
  OutboxClosedError,
  OutboxError,
  OutboxFullError,
  OutboxLockedError,
  OutboxRecordTooLargeError,
  type Outbox,
  type OutboxDepth,
  type OutboxEntry,
  type OutboxPosition,
  type OutboxReadResult,
} from "./outbox/outbox.ts";
export { FileOutbox, DEFAULT_OUTBOX_MAX_BYTES, DEFAULT_OUTBOX_SEGMENT_BYTES, MAX_OUTBOX_RECORD_BYTES, type FileOutboxOptions } from "./outbox/file-outbox.ts";
export { MemoryOutbox } from "./outbox/memory-outbox.ts";
export { OutboxRelay, type OutboxRelayOptions, type RelayOutcome, type RelayPass, type RelayVerdict } from "./outbox/relay.ts";
export { noDelaySocketFactory } from "./socket-factory.ts";
