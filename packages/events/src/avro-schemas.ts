import { readFileSync } from "node:fs";
import { join } from "node:path";
import avro from "avsc";
import { findContractsDir } from "./contracts-dir.ts";

/** Maps Avro `timestamp-millis` to JavaScript `Date`, so code deals in dates, not epoch numbers. */
class TimestampMillisType extends avro.types.LogicalType {
  override _fromValue(value: number): Date {
    return new Date(value);
  }
  override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) return value.getTime();
    return typeof value === "number" ? value : undefined;
  }
  override _resolve(type: avro.Type) {
    if (avro.Type.isType(type, "long", "logical:timestamp-millis")) return this._fromValue.bind(this);
    return undefined;
  }
}

export interface LoadedAvroSchema {
  /** File name under kafka/schemas/. */
  file: string;
  /**
   * TRICKY: the registry treats the same schema with different whitespace as new
   * content (new id). Everyone registers and looks up this one canonical string.
   */
  canonical: string;
  /** avsc type, for local validation of values before encoding. */
  type: avro.Type;
}

/** Reads `kafka/schemas/<file>` and returns its canonical text and avsc type. */
export function loadAvroSchema(file: string, contractsDir = findContractsDir()): LoadedAvroSchema {
  const parsed: unknown = JSON.parse(readFileSync(join(contractsDir, "schemas", file), "utf8"));
  const canonical = JSON.stringify(parsed);
  return {
    file,
    canonical,
    type: avro.Type.forSchema(parsed as avro.Schema, { logicalTypes: { "timestamp-millis": TimestampMillisType } }),
  };
}
