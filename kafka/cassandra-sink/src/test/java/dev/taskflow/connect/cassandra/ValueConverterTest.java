package dev.taskflow.connect.cassandra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.type.DataTypes;
import dev.taskflow.connect.cassandra.ValueConverter.ConversionException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import java.util.UUID;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.junit.jupiter.api.Test;

class ValueConverterTest {

  private static Date utc(String iso) {
    return Date.from(Instant.parse(iso));
  }

  @Test
  void dateToDateIsTheUtcCalendarDay() throws Exception {
    TimeZone original = TimeZone.getDefault();
    // A worker far from UTC must still put late-evening UTC events in the UTC day.
    TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Kiritimati")); // UTC+14
    try {
      assertEquals(
          LocalDate.of(2026, 1, 31),
          ValueConverter.toCql(utc("2026-01-31T23:59:59.999Z"), DataTypes.DATE));
      assertEquals(
          LocalDate.of(2026, 2, 1), ValueConverter.toCql(utc("2026-02-01T00:00:00Z"), DataTypes.DATE));
      assertEquals(
          LocalDate.of(1969, 12, 31),
          ValueConverter.toCql(utc("1969-12-31T23:59:59.999Z"), DataTypes.DATE));
    } finally {
      TimeZone.setDefault(original);
    }
  }

  @Test
  void dateToTimestampKeepsTheInstant() throws Exception {
    assertEquals(
        Instant.parse("2026-03-04T05:06:07.089Z"),
        ValueConverter.toCql(utc("2026-03-04T05:06:07.089Z"), DataTypes.TIMESTAMP));
    assertEquals(
        Instant.ofEpochMilli(1_767_225_600_000L),
        ValueConverter.toCql(1_767_225_600_000L, DataTypes.TIMESTAMP));
    assertEquals(
        Instant.parse("2026-01-01T10:00:00Z"),
        ValueConverter.toCql("2026-01-01T12:00:00+02:00", DataTypes.TIMESTAMP));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql("yesterday", DataTypes.TIMESTAMP));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql(true, DataTypes.TIMESTAMP));
  }

  @Test
  void connectTimeBecomesLocalTime() throws Exception {
    assertEquals(
        LocalTime.of(13, 14, 15, 16_000_000),
        ValueConverter.toCql(new Date(((13 * 60 + 14) * 60 + 15) * 1000L + 16), DataTypes.TIME));
  }

  @Test
  void stringToUuid() throws Exception {
    UUID id = UUID.fromString("0b7e9c3e-9f6a-4c1e-8d2b-6f1a2b3c4d5e");
    assertEquals(id, ValueConverter.toCql(id.toString(), DataTypes.UUID));
    assertEquals(id, ValueConverter.toCql(" " + id.toString().toUpperCase() + " ", DataTypes.UUID));

    ConversionException malformed =
        assertThrows(ConversionException.class, () -> ValueConverter.toCql("1-2-3-4-5", DataTypes.UUID));
    assertTrue(malformed.getMessage().contains("not a UUID"));

    ConversionException notTimeBased =
        assertThrows(ConversionException.class, () -> ValueConverter.toCql(id.toString(), DataTypes.TIMEUUID));
    assertTrue(notTimeBased.getMessage().contains("version 4"));
    UUID v1 = UUID.fromString("6b1a1f2e-d8a4-11ef-9cd2-0242ac120002");
    assertEquals(v1, ValueConverter.toCql(v1.toString(), DataTypes.TIMEUUID));
  }

  @Test
  void structBecomesJsonText() throws Exception {
    Schema inner = SchemaBuilder.struct().name("Step").field("node", Schema.STRING_SCHEMA).build();
    Schema schema =
        SchemaBuilder.struct()
            .name("Payload")
            .field("title", Schema.STRING_SCHEMA)
            .field("count", Schema.INT32_SCHEMA)
            .field("ratio", Schema.FLOAT64_SCHEMA)
            .field("done", Schema.BOOLEAN_SCHEMA)
            .field("note", Schema.OPTIONAL_STRING_SCHEMA)
            .field("at", Timestamp.SCHEMA)
            .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
            .field("step", inner)
            .build();
    Struct value =
        new Struct(schema)
            .put("title", "Say \"hi\"\n\\ now")
            .put("count", 3)
            .put("ratio", 0.5)
            .put("done", true)
            .put("note", null)
            .put("at", utc("2026-01-02T03:04:05Z"))
            .put("tags", List.of("a", "b"))
            .put("step", new Struct(inner).put("node", "email"));

    assertEquals(
        "{\"title\":\"Say \\\"hi\\\"\\n\\\\ now\",\"count\":3,\"ratio\":0.5,\"done\":true,"
            + "\"note\":null,\"at\":\"2026-01-02T03:04:05Z\",\"tags\":[\"a\",\"b\"],"
            + "\"step\":{\"node\":\"email\"}}",
        ValueConverter.toCql(value, DataTypes.TEXT));
  }

  @Test
  void mapAndListBecomeJsonTextOrCollections() throws Exception {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("k", 1);
    map.put("ctl", "\u0001");
    assertEquals("{\"k\":1,\"ctl\":\"\\u0001\"}", ValueConverter.toCql(map, DataTypes.TEXT));
    assertEquals("[1,2]", ValueConverter.toCql(List.of(1, 2), DataTypes.TEXT));

    assertEquals(List.of(1L, 2L), ValueConverter.toCql(List.of(1, 2), DataTypes.listOf(DataTypes.BIGINT)));
    assertEquals(Set.of("a", "b"), ValueConverter.toCql(List.of("a", "b", "a"), DataTypes.setOf(DataTypes.TEXT)));
    assertEquals(
        Map.of("a", 1),
        ValueConverter.toCql(Map.of("a", 1L), DataTypes.mapOf(DataTypes.TEXT, DataTypes.INT)));
    assertThrows(
        ConversionException.class,
        () -> ValueConverter.toCql(java.util.Arrays.asList("a", null), DataTypes.listOf(DataTypes.TEXT)));
  }

  @Test
  void numbersConvertOnlyWhenLossless() throws Exception {
    assertEquals(42, ValueConverter.toCql(42L, DataTypes.INT));
    assertEquals((short) 7, ValueConverter.toCql(7, DataTypes.SMALLINT));
    assertEquals((byte) -8, ValueConverter.toCql((short) -8, DataTypes.TINYINT));
    assertEquals(3L, ValueConverter.toCql(3.0, DataTypes.BIGINT));
    assertEquals(12L, ValueConverter.toCql("12", DataTypes.BIGINT));
    assertEquals(new BigInteger("123456789012345678901234567890"),
        ValueConverter.toCql(new BigDecimal("123456789012345678901234567890"), DataTypes.VARINT));
    assertEquals(new BigDecimal("0.1"), ValueConverter.toCql(0.1, DataTypes.DECIMAL));
    assertEquals(new BigDecimal("12.50"), ValueConverter.toCql(new BigDecimal("12.50"), DataTypes.DECIMAL));
    assertEquals(2.5, ValueConverter.toCql(2.5f, DataTypes.DOUBLE));
    assertEquals(9_007_199_254_740_992.0, ValueConverter.toCql(9_007_199_254_740_992L, DataTypes.DOUBLE));
    assertEquals(0.25f, ValueConverter.toCql(0.25, DataTypes.FLOAT));

    assertThrows(ConversionException.class, () -> ValueConverter.toCql(3_000_000_000L, DataTypes.INT));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql(128, DataTypes.TINYINT));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql(1.5, DataTypes.INT));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql(new BigDecimal("1.5"), DataTypes.BIGINT));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql(9_007_199_254_740_993L, DataTypes.DOUBLE));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql(0.1, DataTypes.FLOAT));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql("twelve", DataTypes.INT));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql(true, DataTypes.INT));
  }

  @Test
  void textBooleanBlobAndInet() throws Exception {
    assertEquals("hello", ValueConverter.toCql("hello", DataTypes.TEXT));
    assertEquals("42", ValueConverter.toCql(42, DataTypes.TEXT));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql("héllo", DataTypes.ASCII));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql(new byte[] {1}, DataTypes.TEXT));

    assertEquals(true, ValueConverter.toCql(true, DataTypes.BOOLEAN));
    assertEquals(false, ValueConverter.toCql("FALSE", DataTypes.BOOLEAN));
    assertThrows(ConversionException.class, () -> ValueConverter.toCql(1, DataTypes.BOOLEAN));

    ByteBuffer blob = (ByteBuffer) ValueConverter.toCql(new byte[] {1, 2, 3}, DataTypes.BLOB);
    byte[] read = new byte[blob.remaining()];
    blob.get(read);
    assertArrayEquals(new byte[] {1, 2, 3}, read);

    assertEquals("/10.0.0.1", ValueConverter.toCql("10.0.0.1", DataTypes.INET).toString());
    assertThrows(ConversionException.class, () -> ValueConverter.toCql("example.org", DataTypes.INET));
  }

  @Test
  void nullStaysNull() throws Exception {
    assertNull(ValueConverter.toCql(null, DataTypes.TIMESTAMP));
  }

  @Test
  void unsupportedTypesAreKnownUpFront() {
    assertTrue(ValueConverter.supports(DataTypes.mapOf(DataTypes.TEXT, DataTypes.listOf(DataTypes.INT))));
    assertFalse(ValueConverter.supports(DataTypes.COUNTER));
    assertFalse(ValueConverter.supports(DataTypes.DURATION));
    assertFalse(ValueConverter.supports(DataTypes.tupleOf(DataTypes.INT)));
    assertFalse(ValueConverter.supports(DataTypes.listOf(DataTypes.COUNTER)));
  }
}
