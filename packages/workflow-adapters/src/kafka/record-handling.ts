import type { LoadedAvroSchema } from "@taskflow/events";
import { decodeConfluentAvro, describeError, type Logger, type Producer } from "@taskflow/kafka";
import type { KafkaMessage } from "kafkajs";
import { DEAD_LETTER_HEADERS, type DeadLetterReason } from "./workflow-messages.ts";

/**
 * Decode and dead-letter steps shared by the workflow consumers (the job queue and the
 * control consumers), so every consumed topic treats bad records the same way.
 */

/**
 * Decodes a Confluent-framed Avro record written with `schemaId` and validates it with
 * `parse`: `{ value }`, or why it cannot be handled (`undecodable` for bytes that are not
 * our schema, `invalid` for a record that decodes but fails validation).
 */
export function decodeAvroRecord<T>(
  message: KafkaMessage,
  schema: LoadedAvroSchema,
  schemaId: number,
  parse: (value: unknown) => T,
): { value: T } | { reason: Extract<DeadLetterReason, "undecodable" | "invalid">; error: unknown } {
  let decoded: unknown;
  try {
    if (!message.value) throw new Error("record has no value");
    // The schema id must be ours: a record written with another schema is not ours to read.
    decoded = decodeConfluentAvro(message.value, schema.type, schemaId);
  } catch (error) {
    return { reason: "undecodable", error };
  }
  try {
    return { value: parse(decoded) };
  } catch (error) {
    return { reason: "invalid", error };
  }
}

/** Where a record came from and why it is dead-lettered. */
export interface DeadLetterRequest {
  deadLetterTopic: string;
  sourceTopic: string;
  partition: number;
  message: KafkaMessage;
  reason: DeadLetterReason;
  error: unknown;
  /** How many times the handler ran (0 when it never did). */
  deliveries: number;
}

/**
 * Copies the record as it was to the dead-letter topic, with the error in headers.
 * `true` once the broker acknowledged; `false` if it could not (the caller then
 * redelivers the record and dead-letters it again later, never skips it).
 */
export async function deadLetterRecord(producer: Producer, request: DeadLetterRequest, logger: Logger): Promise<boolean> {
  const { message } = request;
  const described = describeError(request.error);
  try {
    await producer.send({
      topic: request.deadLetterTopic,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DEAD_LETTER_HEADERS.reason]: request.reason,
            [DEAD_LETTER_HEADERS.errorName]: String(described.name ?? "Error"),
            [DEAD_LETTER_HEADERS.errorMessage]: String(described.message ?? ""),
            [DEAD_LETTER_HEADERS.sourceTopic]: request.sourceTopic,
            [DEAD_LETTER_HEADERS.sourcePartition]: String(request.partition),
            [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
            [DEAD_LETTER_HEADERS.deliveries]: String(request.deliveries),
          },
        },
      ],
    });
    return true;
  } catch (sendError) {
    logger.error("dead-lettering a record failed", { deadLetterTopic: request.deadLetterTopic, partition: request.partition, offset: message.offset, error: sendError });
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `true` if `promise` settled within `timeoutMs`; the timer never keeps the process alive. */
export async function settlesWithin(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
