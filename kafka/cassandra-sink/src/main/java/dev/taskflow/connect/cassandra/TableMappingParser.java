package dev.taskflow.connect.cassandra;

import dev.taskflow.connect.cassandra.TableMapping.ColumnMapping;
import dev.taskflow.connect.cassandra.TableMapping.FieldSource;
import dev.taskflow.connect.cassandra.TableMapping.SourceKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigException;

/**
 * Parses the per-table settings {@code topic.<topic>.<keyspace>.<table>.<setting>} (DataStax sink
 * style) and checks them against the connector's {@code topics}.
 *
 * <p>TRICKY: topic names may contain dots, keyspace and table names never do, so a key is split
 * from the right: the last three dot-separated parts are keyspace, table and setting, and whatever
 * lies between {@code topic.} and them is the topic.
 *
 * <p>Every problem is collected against the config key it concerns, so {@code
 * Connector.validate()} can show all of them at once next to the right key.
 */
public final class TableMappingParser {

  public static final String PREFIX = "topic.";
  public static final String MAPPING = "mapping";
  public static final String TTL = "ttl";
  public static final String CONSISTENCY_LEVEL = "consistencyLevel";
  public static final String NULL_TO_UNSET = "nullToUnset";
  public static final Set<String> SETTINGS = Set.of(MAPPING, TTL, CONSISTENCY_LEVEL, NULL_TO_UNSET);

  public static final String DEFAULT_CONSISTENCY_LEVEL = "LOCAL_ONE";
  public static final boolean DEFAULT_NULL_TO_UNSET = true;

  /** Cassandra's upper bound for a TTL (20 years). */
  static final int MAX_TTL_SECONDS = 630_720_000;

  /** Levels valid for a plain (non-LWT) write; SERIAL and LOCAL_SERIAL are for reads/LWT only. */
  static final List<String> WRITE_CONSISTENCY_LEVELS =
      List.of("ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE");

  static final String TOPICS = "topics";
  static final String TOPICS_REGEX = "topics.regex";

  private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");
  private static final Pattern CQL_NAME = Pattern.compile("\\w{1,48}");
  private static final Pattern COLUMN_NAME = Pattern.compile("\\w+|\"(?:[^\"]|\"\")+\"");

  private TableMappingParser() {}

  /** The outcome of a parse: mappings for the keys that parsed, errors keyed by config key. */
  public record Result(List<TableMapping> mappings, Map<String, List<String>> errors) {
    public Result {
      mappings = List.copyOf(mappings);
      Map<String, List<String>> copy = new LinkedHashMap<>();
      errors.forEach((k, v) -> copy.put(k, List.copyOf(v)));
      errors = Collections.unmodifiableMap(copy);
    }

    public boolean hasErrors() {
      return !errors.isEmpty();
    }

    /** The mappings, or a {@link ConfigException} that names every bad key. */
    public List<TableMapping> mappingsOrThrow() {
      if (!hasErrors()) {
        return mappings;
      }
      String all =
          errors.entrySet().stream()
              .flatMap(e -> e.getValue().stream().map(msg -> e.getKey() + ": " + msg))
              .collect(Collectors.joining("; "));
      Map.Entry<String, List<String>> first = errors.entrySet().iterator().next();
      throw new ConfigException(
          "Invalid Cassandra sink table mapping ("
              + errors.size()
              + " bad key(s), first: "
              + first.getKey()
              + "): "
              + all);
    }
  }

  /**
   * Parses every {@code topic.*} key of a connector config and cross-checks them with {@code
   * topics}: every mapped topic must be consumed, every consumed topic must be mapped.
   */
  public static Result parse(Map<String, String> props) {
    Map<String, List<String>> errors = new LinkedHashMap<>();
    // Sorted so errors and mappings come out in a stable order.
    Map<TableKey, Map<String, String>> settingsByTable = new TreeMap<>();
    for (Map.Entry<String, String> e : new TreeMap<>(props).entrySet()) {
      String key = e.getKey();
      if (!key.startsWith(PREFIX)) {
        continue;
      }
      String rest = key.substring(PREFIX.length());
      int settingDot = rest.lastIndexOf('.');
      int tableDot = settingDot < 0 ? -1 : rest.lastIndexOf('.', settingDot - 1);
      int keyspaceDot = tableDot < 0 ? -1 : rest.lastIndexOf('.', tableDot - 1);
      if (keyspaceDot <= 0) {
        addError(errors, key, "expected topic.<topic>.<keyspace>.<table>.<setting>");
        continue;
      }
      String topic = rest.substring(0, keyspaceDot);
      String keyspace = rest.substring(keyspaceDot + 1, tableDot);
      String table = rest.substring(tableDot + 1, settingDot);
      String setting = rest.substring(settingDot + 1);
      boolean ok = true;
      if (!TOPIC_NAME.matcher(topic).matches()) {
        addError(errors, key, "'" + topic + "' is not a valid Kafka topic name");
        ok = false;
      }
      if (!CQL_NAME.matcher(keyspace).matches()) {
        addError(errors, key, "'" + keyspace + "' is not a valid keyspace name (letters, digits, _)");
        ok = false;
      }
      if (!CQL_NAME.matcher(table).matches()) {
        addError(errors, key, "'" + table + "' is not a valid table name (letters, digits, _)");
        ok = false;
      }
      if (!SETTINGS.contains(setting)) {
        addError(
            errors,
            key,
            "unknown setting '" + setting + "'; expected one of " + String.join(", ", sortedSettings()));
        ok = false;
      }
      if (ok) {
        settingsByTable
            .computeIfAbsent(new TableKey(topic, keyspace, table), k -> new TreeMap<>())
            .put(setting, e.getValue());
      }
    }

    List<TableMapping> mappings = new ArrayList<>();
    for (Map.Entry<TableKey, Map<String, String>> e : settingsByTable.entrySet()) {
      TableMapping mapping = parseTable(e.getKey(), e.getValue(), errors);
      if (mapping != null) {
        mappings.add(mapping);
      }
    }
    checkTopics(props, settingsByTable.keySet(), errors);
    return new Result(mappings, errors);
  }

  private static TableMapping parseTable(
      TableKey t, Map<String, String> settings, Map<String, List<String>> errors) {
    String prefix = PREFIX + t.topic + "." + t.keyspace + "." + t.table + ".";
    if (!settings.containsKey(MAPPING)) {
      for (String setting : settings.keySet()) {
        addError(errors, prefix + setting, "no mapping for this table: add " + prefix + MAPPING);
      }
      return null;
    }
    int errorsBefore = errorCount(errors);
    List<ColumnMapping> columns = parseColumns(prefix + MAPPING, settings.get(MAPPING), errors);

    int ttl = TableMapping.TABLE_DEFAULT_TTL;
    String ttlText = settings.get(TTL);
    if (ttlText != null) {
      try {
        ttl = Integer.parseInt(ttlText.trim());
        if (ttl < -1 || ttl > MAX_TTL_SECONDS) {
          addError(
              errors,
              prefix + TTL,
              "must be -1 (table default), 0 (no expiry) or seconds up to " + MAX_TTL_SECONDS);
        }
      } catch (NumberFormatException ex) {
        addError(errors, prefix + TTL, "'" + ttlText + "' is not an integer number of seconds");
      }
    }

    String consistency = DEFAULT_CONSISTENCY_LEVEL;
    String consistencyText = settings.get(CONSISTENCY_LEVEL);
    if (consistencyText != null) {
      consistency = consistencyText.trim().toUpperCase(Locale.ROOT);
      if (!WRITE_CONSISTENCY_LEVELS.contains(consistency)) {
        addError(
            errors,
            prefix + CONSISTENCY_LEVEL,
            "'"
                + consistencyText
                + "' is not a write consistency level; expected one of "
                + String.join(", ", WRITE_CONSISTENCY_LEVELS));
      }
    }

    boolean nullToUnset = DEFAULT_NULL_TO_UNSET;
    String nullText = settings.get(NULL_TO_UNSET);
    if (nullText != null) {
      String v = nullText.trim().toLowerCase(Locale.ROOT);
      if (v.equals("true") || v.equals("false")) {
        nullToUnset = Boolean.parseBoolean(v);
      } else {
        addError(errors, prefix + NULL_TO_UNSET, "'" + nullText + "' is not true or false");
      }
    }

    if (errorCount(errors) > errorsBefore || columns.isEmpty()) {
      return null;
    }
    return new TableMapping(t.topic, t.keyspace, t.table, columns, ttl, consistency, nullToUnset);
  }

  private static List<ColumnMapping> parseColumns(
      String key, String text, Map<String, List<String>> errors) {
    List<ColumnMapping> columns = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    if (text == null || text.isBlank()) {
      addError(errors, key, "empty mapping; expected comma-separated column=source pairs");
      return columns;
    }
    // NOTE: blank entries (a trailing comma in a hand-edited JSON config) are tolerated.
    for (String pair : text.split(",")) {
      String trimmed = pair.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      int eq = trimmed.indexOf('=');
      if (eq < 0) {
        addError(errors, key, "'" + trimmed + "' is not a column=source pair");
        continue;
      }
      String column = trimmed.substring(0, eq).trim();
      String sourceText = trimmed.substring(eq + 1).trim();
      if (!COLUMN_NAME.matcher(column).matches()) {
        addError(errors, key, "'" + column + "' is not a valid CQL column name");
        continue;
      }
      // Unquoted CQL identifiers are case-insensitive: id and ID are the same column.
      String canonical = column.startsWith("\"") ? column : column.toLowerCase(Locale.ROOT);
      if (!seen.add(canonical)) {
        addError(errors, key, "column '" + column + "' is mapped twice");
        continue;
      }
      FieldSource source = parseSource(sourceText);
      if (source == null) {
        addError(
            errors,
            key,
            "source '"
                + sourceText
                + "' of column '"
                + column
                + "' must be key, key.<field>, value, value.<field> or header.<name>");
        continue;
      }
      columns.add(new ColumnMapping(column, source));
    }
    if (columns.isEmpty() && !errors.containsKey(key)) {
      addError(errors, key, "empty mapping; expected comma-separated column=source pairs");
    }
    return columns;
  }

  /** Parses {@code key}, {@code key.a.b}, {@code value}, {@code value.a.b}, {@code header.name}. */
  static FieldSource parseSource(String text) {
    for (SourceKind kind : SourceKind.values()) {
      if (text.equals(kind.prefix)) {
        return kind == SourceKind.HEADER ? null : new FieldSource(kind, List.of());
      }
      if (text.startsWith(kind.prefix + ".")) {
        String rest = text.substring(kind.prefix.length() + 1);
        if (rest.isEmpty()) {
          return null;
        }
        if (kind == SourceKind.HEADER) {
          return new FieldSource(kind, List.of(rest));
        }
        List<String> path = Arrays.asList(rest.split("\\.", -1));
        if (path.stream().anyMatch(String::isEmpty)) {
          return null;
        }
        return new FieldSource(kind, path);
      }
    }
    return null;
  }

  private static void checkTopics(
      Map<String, String> props, Set<TableKey> mapped, Map<String, List<String>> errors) {
    String regex = props.get(TOPICS_REGEX);
    if (regex != null && !regex.isBlank()) {
      addError(
          errors,
          TOPICS_REGEX,
          "not supported by this sink: list the topics in 'topics' so each can be checked for a mapping");
    }
    Set<String> topics = new LinkedHashSet<>();
    String topicsText = props.get(TOPICS);
    if (topicsText != null) {
      for (String t : topicsText.split(",")) {
        if (!t.isBlank()) {
          topics.add(t.trim());
        }
      }
    }
    if (topics.isEmpty() && (regex == null || regex.isBlank())) {
      addError(errors, TOPICS, "no topics configured");
    }
    Set<String> mappedTopics = new LinkedHashSet<>();
    for (TableKey t : mapped) {
      mappedTopics.add(t.topic);
      if (!topics.contains(t.topic)) {
        addError(
            errors,
            PREFIX + t.topic + "." + t.keyspace + "." + t.table + "." + MAPPING,
            "topic '" + t.topic + "' is not in topics (" + String.join(",", topics) + ")");
      }
    }
    for (String topic : topics) {
      if (!mappedTopics.contains(topic)) {
        addError(
            errors,
            TOPICS,
            "topic '"
                + topic
                + "' has no mapping: add "
                + PREFIX
                + topic
                + ".<keyspace>.<table>."
                + MAPPING);
      }
    }
  }

  private static List<String> sortedSettings() {
    List<String> s = new ArrayList<>(SETTINGS);
    Collections.sort(s);
    return s;
  }

  private static void addError(Map<String, List<String>> errors, String key, String message) {
    errors.computeIfAbsent(key, k -> new ArrayList<>()).add(message);
  }

  private static int errorCount(Map<String, List<String>> errors) {
    return errors.values().stream().mapToInt(List::size).sum();
  }

  private record TableKey(String topic, String keyspace, String table)
      implements Comparable<TableKey> {
    @Override
    public int compareTo(TableKey o) {
      int c = topic.compareTo(o.topic);
      if (c == 0) {
        c = keyspace.compareTo(o.keyspace);
      }
      return c != 0 ? c : table.compareTo(o.table);
    }
  }
}
