export { findContractsDir } from "./contracts-dir.ts";
export { loadTopicCatalog, topicByKey, valueSubject, type TopicSpec } from "./topics.ts";
export { loadAvroSchema, type LoadedAvroSchema } from "./avro-schemas.ts";
export {
  interactionActions,
  interactionEventSchema,
  pageViewInputSchema,
  MAX_WHAT_LENGTH,
  MAX_WHO_LENGTH,
  type InteractionAction,
  type InteractionEvent,
  type ValidInteractionEvent,
  MAX_CORRELATION_ID_LENGTH,
  type PageViewInput,
} from "./interaction-event.ts";
