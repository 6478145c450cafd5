package dev.taskflow.connect.cassandra;

import java.util.List;
import java.util.Objects;

/**
 * How the records of one topic become rows of one Cassandra table: the parsed, immutable form of the
 * {@code topic.<topic>.<keyspace>.<table>.*} settings. One topic may have several of these (one per
 * table it feeds); each gets its own prepared statement.
 *
 * @param topic the Kafka topic (may contain dots and dashes)
 * @param keyspace CQL keyspace, as written in the key (unquoted names are case-insensitive)
 * @param table CQL table, as written in the key
 * @param columns the mapped columns in the order they were configured; never empty
 * @param ttlSeconds TTL applied to every write; {@link #TABLE_DEFAULT_TTL} keeps the table's
 *     {@code default_time_to_live}, 0 writes cells that never expire
 * @param consistencyLevel a write consistency level name, e.g. {@code LOCAL_ONE}
 * @param nullToUnset whether a null source value leaves the column unset (no tombstone) instead of
 *     writing null
 */
public record TableMapping(
    String topic,
    String keyspace,
    String table,
    List<ColumnMapping> columns,
    int ttlSeconds,
    String consistencyLevel,
    boolean nullToUnset) {

  public static final int TABLE_DEFAULT_TTL = -1;

  public TableMapping {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(keyspace, "keyspace");
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(consistencyLevel, "consistencyLevel");
    columns = List.copyOf(columns);
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("a table mapping needs at least one column");
    }
  }

  /** {@code keyspace.table}, for log and error messages. */
  public String qualifiedTable() {
    return keyspace + "." + table;
  }

  /** The prefix of this mapping's config keys, e.g. {@code topic.t.ks.tbl.}; names bad records. */
  public String keyPrefix() {
    return TableMappingParser.PREFIX + topic + "." + keyspace + "." + table + ".";
  }

  /** One {@code column=source} pair of a mapping. */
  public record ColumnMapping(String column, FieldSource source) {
    public ColumnMapping {
      Objects.requireNonNull(column, "column");
      Objects.requireNonNull(source, "source");
    }

    @Override
    public String toString() {
      return column + "=" + source;
    }
  }

  /** Which part of a record a column value is read from. */
  public enum SourceKind {
    /** The record key; an empty path means the whole key. */
    KEY("key"),
    /** The record value; an empty path means the whole value. */
    VALUE("value"),
    /** The last header with the given name. */
    HEADER("header");

    final String prefix;

    SourceKind(String prefix) {
      this.prefix = prefix;
    }
  }

  /**
   * A place in a record: {@code key}, {@code key.a.b}, {@code value}, {@code value.a.b} or {@code
   * header.name}. For headers the path holds the header name as a single element (header names may
   * contain dots).
   */
  public record FieldSource(SourceKind kind, List<String> path) {
    public FieldSource {
      Objects.requireNonNull(kind, "kind");
      path = List.copyOf(path);
      if (kind == SourceKind.HEADER && path.size() != 1) {
        throw new IllegalArgumentException("a header source names exactly one header");
      }
    }

    @Override
    public String toString() {
      return path.isEmpty() ? kind.prefix : kind.prefix + "." + String.join(".", path);
    }
  }
}
