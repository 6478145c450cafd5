import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import type { LoadedAvroSchema } from "@taskflow/events";
import { SchemaNotRegisteredError, TaskflowKafkaError } from "./errors.ts";
import { encodeConfluentAvro } from "./wire-format.ts";

/** Options of {@link createSchemaRegistry}. */
export interface SchemaRegistryOptions {
  /** Confluent-compatible API base, e.g. `http://127.0.0.1:8081/apis/ccompat/v7` (Apicurio). */
  url: string;
  /** Sent as the client id header. */
  clientId?: string;
  /** HTTP retries per request (the library's default is 3 over ~5 s). */
  retries?: number;
}

/** A Confluent schema registry client (`@kafkajs/confluent-schema-registry`). */
export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistry {
  return new SchemaRegistry({
    host: options.url.replace(/\/+$/, ""),
    clientId: options.clientId,
    retry: { retries: options.retries ?? 2, initialRetryTimeInSecs: 0.2, maxRetryTimeInSecs: 2 },
  });
}

/**
 * Looks up the id of `canonicalSchema` under `subject`. It never registers: the
 * setup script owns registration (and the compatibility rule), the app only finds
 * the id of the exact text it encodes with.
 * TRICKY: the lookup matches on schema text, so pass `loadAvroSchema(...).canonical`,
 * the same string setup registered.
 */
export async function resolveSchemaId(registry: Pick<SchemaRegistry, "getRegistryIdBySchema">, subject: string, canonicalSchema: string): Promise<number> {
  try {
    return await registry.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: canonicalSchema });
  } catch (error) {
    if (isNotFound(error)) throw new SchemaNotRegisteredError(subject, error);
    // Anything else (connection refused, 5xx) is the registry being unavailable.
    throw new TaskflowKafkaError(`schema registry lookup for "${subject}" failed`, { retriable: true, cause: error });
  }
}

/** Encodes values of one registered Avro schema into the Confluent wire format. */
export interface AvroValueEncoder {
  readonly subject: string;
  readonly schemaId: number;
  /** Magic byte 0 + 4-byte schema id + Avro body; throws `InvalidRecordError` for a bad value. */
  encode(value: unknown): Buffer;
}

/**
 * Resolves the schema id once, then encodes locally with our own avsc type.
 * NOTE: we do not use `registry.encode(id, value)`: it would fetch the schema back
 * and parse it with its own avsc, without our `timestamp-millis` ↔ `Date` mapping,
 * so a `Date` would fail validation. The id lookup already proved the registered
 * text is byte-for-byte our canonical schema, so our type writes the same bytes.
 */
export async function createAvroValueEncoder(
  registry: Pick<SchemaRegistry, "getRegistryIdBySchema">,
  subject: string,
  schema: LoadedAvroSchema,
): Promise<AvroValueEncoder> {
  const schemaId = await resolveSchemaId(registry, subject, schema.canonical);
  return {
    subject,
    schemaId,
    encode: (value) => encodeConfluentAvro(schemaId, schema.type, value),
  };
}

/**
 * TRICKY: for a 404 (unknown subject 40401 or unknown schema 40403) the library throws
 * a bare `ConfluentSchemaRegistryError` carrying only the message; other HTTP errors
 * arrive as its `ResponseError` with a numeric `status`.
 */
function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "ConfluentSchemaRegistryError") return true;
  return (error as { status?: unknown }).status === 404;
}
