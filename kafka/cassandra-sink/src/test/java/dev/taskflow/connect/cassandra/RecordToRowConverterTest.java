package dev.taskflow.connect.cassandra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.type.DataType;
import com.datastax.oss.driver.api.core.type.DataTypes;
import dev.taskflow.connect.cassandra.RecordToRowConverter.ColumnTarget;
import dev.taskflow.connect.cassandra.RecordToRowConverter.Row;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class RecordToRowConverterTest {

  /** The shape of kafka/schemas/interaction-event.avsc as the Avro converter hands it over. */
  private static final Schema INTERACTION =
      SchemaBuilder.struct()
          .name("com.taskflow.events.InteractionEvent")
          .field("id", Schema.STRING_SCHEMA)
          .field("action", Schema.STRING_SCHEMA)
          .field("who", Schema.STRING_SCHEMA)
          .field("what", Schema.STRING_SCHEMA)
          .field("time", Timestamp.SCHEMA)
          .build();

  private static final Instant EVENT_TIME = Instant.parse("2026-05-06T23:30:00Z");
  private static final long RECORD_TIMESTAMP_MS = 1_778_110_200_123L;

  private static Struct interaction(String id) {
    return new Struct(INTERACTION)
        .put("id", id)
        .put("action", "view")
        .put("who", "ada@example.org")
        .put("what", "/todos")
        .put("time", Date.from(EVENT_TIME));
  }

  private static SinkRecord record(Object key, Object value, Long timestamp) {
    return new SinkRecord(
        "taskflow-interactions", 2, Schema.OPTIONAL_STRING_SCHEMA, key, INTERACTION, value, 41L,
        timestamp, TimestampType.CREATE_TIME, new ConnectHeaders());
  }

  /** Parses a one-table mapping and pairs it with column types, as the writer does from metadata. */
  private static RecordToRowConverter converter(
      String mapping, Map<String, DataType> types, List<String> primaryKey, String... settings) {
    List<String> props = new ArrayList<>(List.of("topics", "taskflow-interactions",
        "topic.taskflow-interactions.taskflow.t.mapping", mapping));
    props.addAll(List.of(settings));
    Map<String, String> config = new java.util.HashMap<>();
    for (int i = 0; i < props.size(); i += 2) {
      config.put(props.get(i), props.get(i + 1));
    }
    TableMapping table = TableMappingParser.parse(config).mappingsOrThrow().get(0);
    List<ColumnTarget> targets =
        table.columns().stream()
            .map(c -> new ColumnTarget(c.column(), types.get(c.column()),
                primaryKey.contains(c.column()), primaryKey.get(0).equals(c.column())))
            .toList();
    return new RecordToRowConverter(table, targets, () -> 5_000L);
  }

  private static RecordToRowConverter byDay() {
    return converter(
        "day=value.time, time=value.time, id=value.id, action=value.action, who=value.who, what=value.what",
        Map.of("day", DataTypes.DATE, "time", DataTypes.TIMESTAMP, "id", DataTypes.TEXT,
            "action", DataTypes.TEXT, "who", DataTypes.TEXT, "what", DataTypes.TEXT),
        List.of("day", "time", "id"));
  }

  @Test
  void interactionBecomesADayRowWithTheRecordTimestampInMicros() {
    Row row = byDay().convert(record("e-1", interaction("e-1"), RECORD_TIMESTAMP_MS));

    assertArrayEquals(
        new Object[] {LocalDate.of(2026, 5, 6), EVENT_TIME, "e-1", "view", "ada@example.org", "/todos"},
        row.values());
    assertEquals(RECORD_TIMESTAMP_MS * 1000, row.writeTimeMicros());
  }

  @Test
  void recordWithoutTimestampIsWrittenAtNow() {
    Row row = byDay().convert(record("e-1", interaction("e-1"), null));
    assertEquals(5_000_000L, row.writeTimeMicros());
  }

  @Test
  void fieldAbsentFromAnOlderSchemaVersionLeavesItsColumnUnset() {
    RecordToRowConverter converter =
        converter("id=value.id, tenant=value.tenant",
            Map.of("id", DataTypes.TEXT, "tenant", DataTypes.TEXT), List.of("id"));

    Row row = converter.convert(record("k", interaction("e-1"), 1L));
    assertEquals("e-1", row.values()[0]);
    assertSame(RecordToRowConverter.UNSET, row.values()[1]);
  }

  @Test
  void keyColumnAbsentFromTheSchemaIsABadRecordNamingTheMappingAndColumn() {
    RecordToRowConverter converter =
        converter("tenant=value.tenant, id=value.id",
            Map.of("id", DataTypes.TEXT, "tenant", DataTypes.TEXT), List.of("tenant"));

    BadRecordException e =
        assertThrows(BadRecordException.class, () -> converter.convert(record("k", interaction("e-1"), 1L)));
    assertTrue(e.getMessage().contains("taskflow-interactions-2@41"), e.getMessage());
    assertTrue(e.getMessage().contains("topic.taskflow-interactions.taskflow.t.mapping"), e.getMessage());
    assertTrue(e.getMessage().contains("primary key column tenant"), e.getMessage());
  }

  @Test
  void wrongTypeIsABadRecord() {
    RecordToRowConverter converter =
        converter("id=value.id, n=value.who", Map.of("id", DataTypes.TEXT, "n", DataTypes.INT), List.of("id"));

    BadRecordException e =
        assertThrows(BadRecordException.class, () -> converter.convert(record("k", interaction("e-1"), 1L)));
    assertTrue(e.getMessage().contains("column n=value.who"), e.getMessage());
  }

  @Test
  void tombstoneIsABadRecord() {
    BadRecordException e =
        assertThrows(BadRecordException.class, () -> byDay().convert(record("e-1", null, 1L)));
    assertTrue(e.getMessage().contains("record value is null"), e.getMessage());
  }

  @Test
  void nullOrEmptyKeyColumnIsABadRecord() {
    Schema optional = SchemaBuilder.struct().field("id", Schema.OPTIONAL_STRING_SCHEMA).build();
    RecordToRowConverter converter =
        converter("id=value.id", Map.of("id", DataTypes.TEXT), List.of("id"));

    BadRecordException isNull =
        assertThrows(BadRecordException.class,
            () -> converter.convert(record("k", new Struct(optional).put("id", null), 1L)));
    assertTrue(isNull.getMessage().contains("primary key column id=value.id is null"));

    BadRecordException isEmpty =
        assertThrows(BadRecordException.class,
            () -> converter.convert(record("k", new Struct(optional).put("id", ""), 1L)));
    assertTrue(isEmpty.getMessage().contains("is empty"));
  }

  @Test
  void nullRegularColumnIsUnsetOrNullAsConfigured() {
    Schema optional =
        SchemaBuilder.struct().field("id", Schema.STRING_SCHEMA).field("note", Schema.OPTIONAL_STRING_SCHEMA).build();
    Struct value = new Struct(optional).put("id", "e-1").put("note", null);
    Map<String, DataType> types = Map.of("id", DataTypes.TEXT, "note", DataTypes.TEXT);

    Row unset = converter("id=value.id, note=value.note", types, List.of("id")).convert(record("k", value, 1L));
    assertSame(RecordToRowConverter.UNSET, unset.values()[1]);

    Row nulled =
        converter("id=value.id, note=value.note", types, List.of("id"),
                "topic.taskflow-interactions.taskflow.t.nullToUnset", "false")
            .convert(record("k", value, 1L));
    assertNull(nulled.values()[1]);
  }

  @Test
  void readsKeyStructKeyNestedValueAndHeaders() {
    Schema user = SchemaBuilder.struct().field("email", Schema.STRING_SCHEMA).build();
    Schema valueSchema =
        SchemaBuilder.struct().field("user", user).field("payload", SchemaBuilder.map(Schema.STRING_SCHEMA,
            Schema.INT32_SCHEMA).build()).build();
    Struct value =
        new Struct(valueSchema)
            .put("user", new Struct(user).put("email", "ada@example.org"))
            .put("payload", Map.of("n", 1));
    Schema keySchema = SchemaBuilder.struct().field("org", Schema.STRING_SCHEMA).build();
    ConnectHeaders headers = new ConnectHeaders();
    headers.addString("trace.id", "abc");
    SinkRecord record =
        new SinkRecord("taskflow-interactions", 0, keySchema, new Struct(keySchema).put("org", "acme"),
            valueSchema, value, 7L, 1L, TimestampType.CREATE_TIME, headers);

    Row row =
        converter("org=key.org, email=value.user.email, payload=value.payload, trace=header.trace.id",
                Map.of("org", DataTypes.TEXT, "email", DataTypes.TEXT, "payload", DataTypes.TEXT,
                    "trace", DataTypes.TEXT),
                List.of("org"))
            .convert(record);

    assertArrayEquals(new Object[] {"acme", "ada@example.org", "{\"n\":1}", "abc"}, row.values());
  }

  @Test
  void wholeKeyFeedsAColumn() {
    Row row =
        converter("id=key, who=value.who", Map.of("id", DataTypes.TEXT, "who", DataTypes.TEXT), List.of("id"))
            .convert(record("e-9", interaction("e-1"), 1L));
    assertEquals("e-9", row.values()[0]);
  }

  @Test
  void fieldOfAPrimitiveIsABadRecord() {
    RecordToRowConverter converter =
        converter("id=value.id.part", Map.of("id", DataTypes.TEXT), List.of("id"));
    BadRecordException e =
        assertThrows(BadRecordException.class, () -> converter.convert(record("k", interaction("e-1"), 1L)));
    assertTrue(e.getMessage().contains("value.id is a String, not a struct or map"), e.getMessage());
  }

  @Test
  void unsupportedColumnTypeIsRejectedAtConstruction() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> converter("id=value.id, n=value.who", Map.of("id", DataTypes.TEXT, "n", DataTypes.COUNTER),
                List.of("id")));
    assertTrue(e.getMessage().contains("counter"), e.getMessage());
  }
}
