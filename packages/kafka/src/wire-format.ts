import type avro from "avsc";
import { InvalidRecordError } from "./errors.ts";

/**
 * Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer,
 * then the Avro binary body. The Connect converter reads the id to find the writer schema.
 */
export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;

/** Prepends the Confluent header for `schemaId` to an Avro body. */
export function frameConfluent(schemaId: number, body: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fff_ffff) {
    throw new RangeError(`invalid schema id ${schemaId}`);
  }
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt8(MAGIC_BYTE, 0);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

/** Splits a Confluent-framed buffer into its schema id and Avro body. */
export function unframeConfluent(buffer: Buffer): { schemaId: number; body: Buffer } {
  if (buffer.length < HEADER_LENGTH || buffer.readUInt8(0) !== MAGIC_BYTE) {
    throw new InvalidRecordError("not in the Confluent wire format (magic byte 0 + 4-byte schema id)");
  }
  return { schemaId: buffer.readInt32BE(1), body: buffer.subarray(HEADER_LENGTH) };
}

/** Avro-encodes `value` with `type` and frames it for `schemaId`. */
export function encodeConfluentAvro(schemaId: number, type: avro.Type, value: unknown): Buffer {
  const invalidPaths: string[] = [];
  if (!type.isValid(value, { errorHook: (path) => invalidPaths.push(path.join(".") || "(root)") })) {
    throw new InvalidRecordError(`value does not match Avro schema ${type.name ?? ""}: invalid ${invalidPaths.join(", ")}`);
  }
  return frameConfluent(schemaId, type.toBuffer(value));
}

/** Decodes a framed value with `type`, checking that it was written with `expectedSchemaId`. */
export function decodeConfluentAvro<T = unknown>(buffer: Buffer, type: avro.Type, expectedSchemaId?: number): T {
  const { schemaId, body } = unframeConfluent(buffer);
  if (expectedSchemaId !== undefined && schemaId !== expectedSchemaId) {
    throw new InvalidRecordError(`written with schema id ${schemaId}, expected ${expectedSchemaId}`);
  }
  return type.fromBuffer(body) as T;
}
