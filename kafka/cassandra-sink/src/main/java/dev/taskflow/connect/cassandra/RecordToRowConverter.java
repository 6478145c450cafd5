package dev.taskflow.connect.cassandra;

import com.datastax.oss.driver.api.core.type.DataType;
import dev.taskflow.connect.cassandra.TableMapping.ColumnMapping;
import dev.taskflow.connect.cassandra.TableMapping.FieldSource;
import dev.taskflow.connect.cassandra.TableMapping.SourceKind;
import dev.taskflow.connect.cassandra.ValueConverter.ConversionException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Turns a {@link SinkRecord} into the bind values of one table's INSERT, following a {@link
 * TableMapping} and the column types read from Cassandra. Pure: no I/O, so it is unit-tested
 * without a cluster.
 */
final class RecordToRowConverter {

  /** Marks a column to leave unset in the INSERT (no value, no tombstone). */
  static final Object UNSET =
      new Object() {
        @Override
        public String toString() {
          return "<unset>";
        }
      };

  /**
   * The CQL side of one mapped column, in the same order as {@link TableMapping#columns()}.
   *
   * @param primaryKey a partition key or clustering column: a value is required
   * @param solePartitionKey the table's only partition key column: Cassandra also rejects an empty
   *     value there
   */
  record ColumnTarget(String column, DataType type, boolean primaryKey, boolean solePartitionKey) {
    ColumnTarget {
      Objects.requireNonNull(column, "column");
      Objects.requireNonNull(type, "type");
    }
  }

  /**
   * The values for one INSERT.
   *
   * @param values one per mapped column: a driver-codec value, null (write null) or {@link #UNSET}
   * @param writeTimeMicros the {@code USING TIMESTAMP} value
   */
  record Row(TableMapping mapping, Object[] values, long writeTimeMicros) {}

  private final TableMapping mapping;
  private final List<ColumnTarget> targets;
  private final boolean readsValue;
  private final LongSupplier clockMillis;

  RecordToRowConverter(TableMapping mapping, List<ColumnTarget> targets) {
    this(mapping, targets, System::currentTimeMillis);
  }

  RecordToRowConverter(TableMapping mapping, List<ColumnTarget> targets, LongSupplier clockMillis) {
    if (targets.size() != mapping.columns().size()) {
      throw new IllegalArgumentException("one target per mapped column");
    }
    for (ColumnTarget target : targets) {
      if (!ValueConverter.supports(target.type())) {
        throw new IllegalArgumentException(
            "column "
                + target.column()
                + " of "
                + mapping.qualifiedTable()
                + " has CQL type "
                + target.type().asCql(false, true)
                + ", which this sink cannot write");
      }
    }
    this.mapping = mapping;
    this.targets = List.copyOf(targets);
    this.readsValue =
        mapping.columns().stream().anyMatch(c -> c.source().kind() == SourceKind.VALUE);
    this.clockMillis = clockMillis;
  }

  TableMapping mapping() {
    return mapping;
  }

  /**
   * Converts a record into a row.
   *
   * @throws BadRecordException naming the record, the mapping key and the column at fault
   */
  Row convert(SinkRecord record) {
    if (readsValue && record.value() == null) {
      throw bad(
          record,
          "record value is null (a tombstone?); this sink only inserts, and the mapping reads"
              + " value fields");
    }
    List<ColumnMapping> columns = mapping.columns();
    Object[] values = new Object[columns.size()];
    for (int i = 0; i < values.length; i++) {
      ColumnMapping column = columns.get(i);
      ColumnTarget target = targets.get(i);
      Object raw = extract(record, column);
      Object value;
      try {
        value = ValueConverter.toCql(raw, target.type());
      } catch (ConversionException e) {
        throw bad(record, "column " + column + ": " + e.getMessage());
      }
      if (value == null) {
        if (target.primaryKey()) {
          throw bad(record, "primary key column " + column + " is null");
        }
        values[i] = mapping.nullToUnset() ? UNSET : null;
      } else {
        if (target.solePartitionKey() && isEmpty(value)) {
          throw bad(record, "partition key column " + column + " is empty; Cassandra rejects it");
        }
        values[i] = value;
      }
    }
    return new Row(mapping, values, writeTimeMicros(record));
  }

  /**
   * The Kafka record timestamp in microseconds: a redelivered record writes the same cell
   * versions, so replays are idempotent and the newest event wins regardless of write order.
   */
  private long writeTimeMicros(SinkRecord record) {
    Long ts = record.timestamp();
    long millis = ts != null && ts >= 0 ? ts : clockMillis.getAsLong();
    return Math.multiplyExact(millis, 1000L);
  }

  private Object extract(SinkRecord record, ColumnMapping column) {
    FieldSource source = column.source();
    switch (source.kind()) {
      case HEADER:
        Header header = record.headers().lastWithName(source.path().get(0));
        return header == null ? null : header.value();
      case KEY:
        if (record.key() == null && !source.path().isEmpty()) {
          throw bad(record, "record key is null; column " + column + " reads a key field");
        }
        return walk(record, column, record.key());
      case VALUE:
      default:
        return walk(record, column, record.value());
    }
  }

  /** Follows {@code a.b.c} through Structs and Maps. */
  private Object walk(SinkRecord record, ColumnMapping column, Object root) {
    Object current = root;
    String at = column.source().kind() == SourceKind.KEY ? "key" : "value";
    for (String name : column.source().path()) {
      if (current == null) {
        return null; // an optional nested record that is absent
      }
      if (current instanceof Struct struct) {
        Field field = struct.schema().field(name);
        if (field == null) {
          // NOTE: records written with an older schema version lack fields added since
          // (with defaults); they read as null, so a key column still fails below and
          // any other column is left unset.
          return null;
        }
        current = struct.get(field);
      } else if (current instanceof Map<?, ?> map) {
        // Schemaless data cannot declare optional fields: an absent key reads as null.
        current = map.get(name);
      } else {
        throw bad(
            record,
            "column "
                + column
                + ": "
                + at
                + " is "
                + ValueConverter.describe(current)
                + ", not a struct or map, so it has no field '"
                + name
                + "'");
      }
      at = at + "." + name;
    }
    return current;
  }

  private static boolean isEmpty(Object value) {
    return (value instanceof String s && s.isEmpty())
        || (value instanceof ByteBuffer b && !b.hasRemaining());
  }

  private BadRecordException bad(SinkRecord record, String problem) {
    return new BadRecordException(
        "Cannot write record "
            + record.topic()
            + "-"
            + record.kafkaPartition()
            + "@"
            + record.kafkaOffset()
            + " to "
            + mapping.qualifiedTable()
            + " ("
            + mapping.keyPrefix()
            + TableMappingParser.MAPPING
            + "): "
            + problem);
  }
}
