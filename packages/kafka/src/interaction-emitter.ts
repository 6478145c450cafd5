import type { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { interactionEventSchema, loadAvroSchema, valueSubject, type InteractionEvent, type TopicSpec } from "@taskflow/events";
import { z } from "zod";
import { DeadlineExceededError, InvalidRecordError, withDeadline } from "./errors.ts";
import { silentLogger, type Logger } from "./logger.ts";
import type { Producer } from "./producer.ts";
import { createAvroValueEncoder, type AvroValueEncoder } from "./registry.ts";

/** What the emitter needs; tests pass fakes for `producer` and `encoder`. */
export interface InteractionEmitterDeps {
  producer: Pick<Producer, "send">;
  encoder: AvroValueEncoder;
  /** The `interactions` entry of kafka/topics.json. */
  topic: TopicSpec;
  logger?: Logger;
}

export interface EmitOptions {
  /**
   * Give up waiting after this many ms (rejects with a retriable `DeadlineExceededError`).
   * The send itself goes on; its late outcome is logged with the event id.
   */
  timeoutMs?: number;
}

/** Where the broker put the event. */
export interface EmitAck {
  eventId: string;
  topic: string;
  partition: number;
  offset: string | undefined;
}

/** What the broker acknowledged for a batch: one produce request, one entry per partition written. */
export interface EmitBatchAck {
  topic: string;
  count: number;
  partitions: number[];
}

/** Validates, Avro-encodes and produces InteractionEvents to `taskflow-interactions`. */
export class InteractionEmitter {
  readonly #producer: Pick<Producer, "send">;
  readonly #encoder: AvroValueEncoder;
  readonly #topic: TopicSpec;
  readonly #logger: Logger;

  constructor(deps: InteractionEmitterDeps) {
    this.#producer = deps.producer;
    this.#encoder = deps.encoder;
    this.#topic = deps.topic;
    this.#logger = deps.logger ?? silentLogger;
  }

  /**
   * Loads the topic's value schema from the contracts folder and looks up its
   * registry id (it must already be registered by setup), then returns an emitter.
   */
  static async create(options: {
    producer: Pick<Producer, "send">;
    registry: Pick<SchemaRegistry, "getRegistryIdBySchema">;
    topic: TopicSpec;
    /** Where kafka/ lives, when module paths do not lead there (bundled servers). */
    contractsDir?: string;
    logger?: Logger;
  }): Promise<InteractionEmitter> {
    const encoder = await InteractionEmitter.resolveEncoder(options);
    return new InteractionEmitter({ producer: options.producer, encoder, topic: options.topic, logger: options.logger });
  }

  /**
   * The encoder for the topic's value schema: loads it from the contracts folder and
   * looks up its registry id under `<topic>-value`. Rejects with
   * `SchemaNotRegisteredError` until setup has registered it.
   */
  static resolveEncoder(options: {
    registry: Pick<SchemaRegistry, "getRegistryIdBySchema">;
    topic: TopicSpec;
    contractsDir?: string;
  }): Promise<AvroValueEncoder> {
    const { topic } = options;
    if (!topic.valueSchema) throw new Error(`topic ${topic.name} has no valueSchema in kafka/topics.json`);
    const schema = loadAvroSchema(topic.valueSchema, options.contractsDir);
    return createAvroValueEncoder(options.registry, valueSubject(topic.name), schema);
  }

  /** The registry id written in every message header. */
  get schemaId(): number {
    return this.#encoder.schemaId;
  }

  /**
   * Resolves once the broker acknowledged the event (acks = all).
   * Rejects with `InvalidRecordError` (fatal) for an event that breaks the contract,
   * without producing anything, or with a retriable error when Kafka is unavailable.
   */
  async emit(event: InteractionEvent, options: EmitOptions = {}): Promise<EmitAck> {
    const parsed = interactionEventSchema.safeParse(event);
    if (!parsed.success) throw new InvalidRecordError(`invalid InteractionEvent: ${z.prettifyError(parsed.error)}`, parsed.error);
    const valid = parsed.data;
    const value = this.#encoder.encode(valid);

    // Keyed by event id (the catalog's messageKey): interactions need no ordering
    // between each other, so the id spreads load evenly over the partitions, and a
    // re-sent event lands on the same partition as its first copy.
    const sending = this.#producer.send({ topic: this.#topic.name, messages: [{ key: valid.id, value }] });

    let metadata;
    try {
      metadata = options.timeoutMs === undefined ? await sending : await withDeadline(sending, options.timeoutMs);
    } catch (error) {
      if (error instanceof DeadlineExceededError) this.#logLateOutcome(valid.id, sending);
      throw error;
    }
    const first = metadata[0];
    return { eventId: valid.id, topic: this.#topic.name, partition: first?.partition ?? -1, offset: first?.baseOffset ?? first?.offset };
  }

  /**
   * Sends several events in one produce request and resolves once the broker
   * acknowledged all of them (acks = all); what the outbox relay uses to drain.
   * Every event is validated and encoded first: one invalid event rejects the whole
   * call with `InvalidRecordError` before anything is produced.
   */
  async emitBatch(events: readonly InteractionEvent[], options: EmitOptions = {}): Promise<EmitBatchAck> {
    if (events.length === 0) return { topic: this.#topic.name, count: 0, partitions: [] };
    const messages = events.map((event) => {
      const parsed = interactionEventSchema.safeParse(event);
      if (!parsed.success) throw new InvalidRecordError(`invalid InteractionEvent ${String(event.id)}: ${z.prettifyError(parsed.error)}`, parsed.error);
      // Keyed by event id, as in emit().
      return { key: parsed.data.id, value: this.#encoder.encode(parsed.data) };
    });
    const sending = this.#producer.send({ topic: this.#topic.name, messages });
    const metadata = options.timeoutMs === undefined ? await sending : await withDeadline(sending, options.timeoutMs);
    return { topic: this.#topic.name, count: messages.length, partitions: metadata.map((m) => m.partition) };
  }

  #logLateOutcome(eventId: string, sending: Promise<unknown>): void {
    sending.then(
      () => this.#logger.info("interaction acknowledged after the deadline", { eventId, topic: this.#topic.name }),
      (error: unknown) => this.#logger.warn("interaction failed after the deadline", { eventId, topic: this.#topic.name, error }),
    );
  }
}
