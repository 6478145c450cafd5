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
export { InteractionEmitter, type InteractionEmitterDeps, type EmitAck, type EmitOptions } from "./interaction-emitter.ts";
