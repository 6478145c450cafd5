package dev.taskflow.connect.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.taskflow.connect.cassandra.TableMapping.FieldSource;
import dev.taskflow.connect.cassandra.TableMapping.SourceKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class TableMappingParserTest {

  private static Map<String, String> props(String... keyValues) {
    Map<String, String> props = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      props.put(keyValues[i], keyValues[i + 1]);
    }
    return props;
  }

  private static String errorsOf(TableMappingParser.Result result, String key) {
    List<String> errors = result.errors().get(key);
    return errors == null ? null : String.join(" | ", errors);
  }

  @Test
  void parsesTopicWithDashesIntoTwoTables() {
    TableMappingParser.Result result =
        TableMappingParser.parse(
            props(
                "topics", "taskflow-interactions",
                "topic.taskflow-interactions.taskflow.interactions.mapping",
                    "id=value.id, action=value.action",
                "topic.taskflow-interactions.taskflow.interactions_by_day.mapping",
                    "day=value.time,time=value.time,id=value.id",
                "topic.taskflow-interactions.taskflow.interactions_by_day.ttl", "3600",
                "topic.taskflow-interactions.taskflow.interactions_by_day.consistencyLevel", "quorum",
                "topic.taskflow-interactions.taskflow.interactions_by_day.nullToUnset", "false"));

    assertFalse(result.hasErrors(), () -> result.errors().toString());
    assertEquals(2, result.mappings().size());

    TableMapping byId = result.mappings().get(0);
    assertEquals("taskflow-interactions", byId.topic());
    assertEquals("taskflow", byId.keyspace());
    assertEquals("interactions", byId.table());
    assertEquals(TableMapping.TABLE_DEFAULT_TTL, byId.ttlSeconds());
    assertEquals("LOCAL_ONE", byId.consistencyLevel());
    assertTrue(byId.nullToUnset());
    assertEquals("[id=value.id, action=value.action]", byId.columns().toString());

    TableMapping byDay = result.mappings().get(1);
    assertEquals("interactions_by_day", byDay.table());
    assertEquals(3600, byDay.ttlSeconds());
    assertEquals("QUORUM", byDay.consistencyLevel());
    assertFalse(byDay.nullToUnset());
    assertEquals("day", byDay.columns().get(0).column());
    assertEquals(
        new FieldSource(SourceKind.VALUE, List.of("time")), byDay.columns().get(0).source());
  }

  @Test
  void topicNamesMayContainDots() {
    TableMappingParser.Result result =
        TableMappingParser.parse(
            props(
                "topics", "org.acme.events-v2",
                "topic.org.acme.events-v2.ks.tbl.mapping", "id=key, name=value.user.name",
                "topic.org.acme.events-v2.ks.tbl.ttl", "0"));

    assertFalse(result.hasErrors(), () -> result.errors().toString());
    TableMapping mapping = result.mappings().get(0);
    assertEquals("org.acme.events-v2", mapping.topic());
    assertEquals("ks", mapping.keyspace());
    assertEquals("tbl", mapping.table());
    assertEquals(0, mapping.ttlSeconds());
    assertEquals(new FieldSource(SourceKind.KEY, List.of()), mapping.columns().get(0).source());
    assertEquals(
        new FieldSource(SourceKind.VALUE, List.of("user", "name")),
        mapping.columns().get(1).source());
  }

  @Test
  void parsesEverySourceKind() {
    assertEquals(new FieldSource(SourceKind.KEY, List.of()), TableMappingParser.parseSource("key"));
    assertEquals(
        new FieldSource(SourceKind.KEY, List.of("tenant")), TableMappingParser.parseSource("key.tenant"));
    assertEquals(new FieldSource(SourceKind.VALUE, List.of()), TableMappingParser.parseSource("value"));
    assertEquals(
        new FieldSource(SourceKind.HEADER, List.of("trace.id")),
        TableMappingParser.parseSource("header.trace.id"));
    assertNull(TableMappingParser.parseSource("header"));
    assertNull(TableMappingParser.parseSource("value."));
    assertNull(TableMappingParser.parseSource("value.a..b"));
    assertNull(TableMappingParser.parseSource("body.id"));
    assertNull(TableMappingParser.parseSource("valueid"));
  }

  @Test
  void parsesTheDeployedInteractionsSinkConfig() throws IOException {
    // The contract lives in kafka/connect/; the test reads it rather than restating it.
    String json = Files.readString(Path.of("..", "connect", "interactions-sink.json"));
    Map<String, String> config = new HashMap<>();
    Matcher m = Pattern.compile("\"([^\"]+)\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
    while (m.find()) {
      config.put(m.group(1), m.group(2));
    }

    TableMappingParser.Result result = TableMappingParser.parse(config);

    assertFalse(result.hasErrors(), () -> result.errors().toString());
    assertEquals(
        java.util.Set.of("interactions", "interactions_by_day", "interactions_by_user"),
        result.mappings().stream().map(TableMapping::table).collect(java.util.stream.Collectors.toSet()));
    TableMapping byDay =
        result.mappings().stream()
            .filter(t -> t.table().equals("interactions_by_day"))
            .findFirst()
            .orElseThrow();
    assertEquals("taskflow-interactions", byDay.topic());
    assertEquals("day=value.time", byDay.columns().get(0).toString());
  }

  @Test
  void reportsEachBadKeyByName() {
    TableMappingParser.Result result =
        TableMappingParser.parse(
            props(
                "topics", "a,b",
                "topic.a.ks.t1.mapping", "id=value.id, id=value.other",
                "topic.a.ks.t2.mapping", "id=body.id",
                "topic.a.ks.t3.mapping", "just-a-column",
                "topic.a.ks.t4.mapping", "id=value.id",
                "topic.a.ks.t4.ttl", "soon",
                "topic.a.ks.t4.consistencyLevel", "SERIAL",
                "topic.a.ks.t4.nullToUnset", "yes",
                "topic.a.ks.t4.colour", "blue",
                "topic.a.ks.t5.ttl", "60",
                "topic.a.ks-x.t6.mapping", "id=key",
                "topic.a.tbl.mapping", "id=key"));

    assertTrue(errorsOf(result, "topic.a.ks.t1.mapping").contains("column 'id' is mapped twice"));
    assertTrue(errorsOf(result, "topic.a.ks.t2.mapping").contains("source 'body.id' of column 'id'"));
    assertTrue(errorsOf(result, "topic.a.ks.t3.mapping").contains("not a column=source pair"));
    assertTrue(errorsOf(result, "topic.a.ks.t4.ttl").contains("not an integer"));
    assertTrue(errorsOf(result, "topic.a.ks.t4.consistencyLevel").contains("not a write consistency level"));
    assertTrue(errorsOf(result, "topic.a.ks.t4.nullToUnset").contains("not true or false"));
    assertTrue(errorsOf(result, "topic.a.ks.t4.colour").contains("unknown setting 'colour'"));
    assertTrue(errorsOf(result, "topic.a.ks.t5.ttl").contains("no mapping for this table"));
    assertTrue(errorsOf(result, "topic.a.ks-x.t6.mapping").contains("not a valid keyspace name"));
    assertTrue(
        errorsOf(result, "topic.a.tbl.mapping").contains("expected topic.<topic>.<keyspace>.<table>"));
    assertTrue(errorsOf(result, "topics").contains("topic 'b' has no mapping"));
    assertTrue(result.mappings().isEmpty(), "no mapping with an error is returned");
  }

  @Test
  void mappedTopicMustBeConsumedAndConsumedTopicMustBeMapped() {
    TableMappingParser.Result result =
        TableMappingParser.parse(
            props(
                "topics", "orders",
                "topic.order.shop.orders.mapping", "id=value.id"));

    assertTrue(
        errorsOf(result, "topic.order.shop.orders.mapping").contains("topic 'order' is not in topics"));
    assertTrue(errorsOf(result, "topics").contains("topic 'orders' has no mapping"));
  }

  @Test
  void ttlOutOfRangeAndEmptyMappingAreErrors() {
    TableMappingParser.Result result =
        TableMappingParser.parse(
            props(
                "topics", "t",
                "topic.t.ks.a.mapping", "id=key",
                "topic.t.ks.a.ttl", "-5",
                "topic.t.ks.b.mapping", " , "));

    assertTrue(errorsOf(result, "topic.t.ks.a.ttl").contains("must be -1"));
    assertTrue(errorsOf(result, "topic.t.ks.b.mapping").contains("empty mapping"));
  }

  @Test
  void topicsRegexIsRejected() {
    TableMappingParser.Result result =
        TableMappingParser.parse(props("topics.regex", "t.*", "topic.t.ks.a.mapping", "id=key"));

    assertTrue(errorsOf(result, "topics.regex").contains("not supported"));
  }

  @Test
  void mappingsOrThrowNamesTheFirstBadKey() {
    TableMappingParser.Result result =
        TableMappingParser.parse(props("topics", "t", "topic.t.ks.a.mapping", "id=nowhere"));

    ConfigException e = assertThrows(ConfigException.class, result::mappingsOrThrow);
    assertTrue(e.getMessage().contains("topic.t.ks.a.mapping"), e.getMessage());
  }

  @Test
  void quotedAndMixedCaseColumnsAreKept() {
    TableMappingParser.Result result =
        TableMappingParser.parse(
            props("topics", "t", "topic.t.ks.a.mapping", "\"userId\"=value.userId, Day=value.day"));

    assertFalse(result.hasErrors(), () -> result.errors().toString());
    assertEquals("\"userId\"", result.mappings().get(0).columns().get(0).column());
    assertEquals("Day", result.mappings().get(0).columns().get(1).column());
  }
}
