import avro from "avsc";
import { interactionEventSchema } from "@taskflow/events";
import { TaskflowKafkaError, unframeConfluent } from "@taskflow/kafka";
import type { ProjectedEvent } from "./projection.ts";

/** avsc does not export its Resolver class; this is what `createResolver` returns. */
type AvroResolver = ReturnType<avro.Type["createResolver"]>;

/** Either the event, or why the record is poison (it will never decode). */
export type DecodeResult = { ok: true; event: ProjectedEvent } | { ok: false; reason: string };

/** Thrown by `fetchWriterSchema` when the registry does not know the id: the record is poison. */
export class UnknownSchemaIdError extends Error {
  override name = "UnknownSchemaIdError";
  constructor(readonly schemaId: number) {
    super(`schema id ${schemaId} is not in the registry`);
  }
}

export interface InteractionDecoderOptions {
  /** Our InteractionEvent type (kafka/schemas/interaction-event.avsc, with Date timestamps). */
  readerType: avro.Type;
  /** The registry id of that exact schema text; records written with it decode directly. */
  readerSchemaId: number;
  /**
   * The schema text registered under an id. Rejects with {@link UnknownSchemaIdError} when
   * the registry has no such id, with anything else when the registry is unreachable.
   */
  fetchWriterSchema: (schemaId: number) => Promise<string>;
}

/**
 * Decodes `taskflow-interactions` values: Confluent framing, the writer schema found by the
 * id in the header, read into our current schema (so v1 records, without correlationId,
 * still decode), then validated with the zod contract.
 *
 * Records that can never decode (bad framing, unknown id, bad body, invalid event) resolve
 * as poison; a registry that cannot be reached rejects (retriable), so a registry outage
 * holds the projection back instead of skipping good records.
 */
export class InteractionDecoder {
  readonly #options: InteractionDecoderOptions;
  /** Resolvers per writer schema id; `null` caches "unknown or incompatible". */
  readonly #resolvers = new Map<number, { resolver: AvroResolver | null; reason?: string }>();

  constructor(options: InteractionDecoderOptions) {
    this.#options = options;
  }

  async decode(value: Buffer | null): Promise<DecodeResult> {
    if (!value || value.length === 0) return { ok: false, reason: "empty value" };
    let framed: { schemaId: number; body: Buffer };
    try {
      framed = unframeConfluent(value);
    } catch (error) {
      return { ok: false, reason: messageOf(error) };
    }
    const { readerType, readerSchemaId } = this.#options;
    let decoded: unknown;
    try {
      if (framed.schemaId === readerSchemaId) {
        decoded = readerType.fromBuffer(framed.body);
      } else {
        const { resolver, reason } = await this.#resolverFor(framed.schemaId);
        if (!resolver) return { ok: false, reason: reason ?? `schema id ${framed.schemaId} cannot be read` };
        decoded = readerType.fromBuffer(framed.body, resolver);
      }
    } catch (error) {
      if (error instanceof TaskflowKafkaError && error.retriable) throw error;
      return { ok: false, reason: `Avro body does not decode: ${messageOf(error)}` };
    }
    const parsed = interactionEventSchema.safeParse(decoded);
    if (!parsed.success) return { ok: false, reason: `invalid InteractionEvent: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` };
    const { id, action, what, time } = parsed.data;
    // NOTE: ids are compared as strings and stored as uuid (read back in lower case).
    return { ok: true, event: { id: id.toLowerCase(), action, what, time } };
  }

  async #resolverFor(schemaId: number): Promise<{ resolver: AvroResolver | null; reason?: string }> {
    const cached = this.#resolvers.get(schemaId);
    if (cached) return cached;
    let text: string;
    try {
      text = await this.#options.fetchWriterSchema(schemaId);
    } catch (error) {
      if (error instanceof UnknownSchemaIdError) {
        const entry = { resolver: null, reason: error.message };
        this.#resolvers.set(schemaId, entry);
        return entry;
      }
      throw new TaskflowKafkaError(`cannot fetch schema id ${schemaId} from the registry`, { retriable: true, cause: error });
    }
    let entry: { resolver: AvroResolver | null; reason?: string };
    try {
      const writerType = avro.Type.forSchema(JSON.parse(text) as avro.Schema);
      entry = { resolver: this.#options.readerType.createResolver(writerType) };
    } catch (error) {
      entry = { resolver: null, reason: `schema id ${schemaId} cannot be read as InteractionEvent: ${messageOf(error)}` };
    }
    this.#resolvers.set(schemaId, entry);
    return entry;
  }
}

/** Fetches schema text by id from a Confluent-compatible registry (`GET /schemas/ids/{id}`). */
export function registrySchemaFetcher(registryUrl: string, timeoutMs = 5_000): (schemaId: number) => Promise<string> {
  const base = registryUrl.replace(/\/+$/, "");
  return async (schemaId) => {
    const response = await fetch(`${base}/schemas/ids/${schemaId}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (response.status === 404) throw new UnknownSchemaIdError(schemaId);
    if (!response.ok) throw new Error(`registry answered ${response.status} for schema id ${schemaId}`);
    const body = (await response.json()) as { schema?: unknown };
    if (typeof body.schema !== "string") throw new Error(`registry returned no schema text for id ${schemaId}`);
    return body.schema;
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
