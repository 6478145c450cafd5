package dev.taskflow.connect.cassandra;

import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.ASCII;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.BIGINT;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.BLOB;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.BOOLEAN;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.DATE;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.DECIMAL;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.DOUBLE;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.FLOAT;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.INET;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.INT;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.LIST;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.MAP;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.SET;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.SMALLINT;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.TIME;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.TIMESTAMP;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.TIMEUUID;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.TINYINT;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.UUID;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.VARCHAR;
import static com.datastax.oss.protocol.internal.ProtocolConstants.DataType.VARINT;

import com.datastax.oss.driver.api.core.type.DataType;
import com.datastax.oss.driver.api.core.type.ListType;
import com.datastax.oss.driver.api.core.type.MapType;
import com.datastax.oss.driver.api.core.type.SetType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.connect.data.Struct;

/**
 * Converts one Connect value into the Java type the driver's default codec expects for a CQL type
 * (timestamp → {@link Instant}, date → {@link LocalDate}, uuid → {@link java.util.UUID}, ...).
 *
 * <p>The target column's CQL type drives the conversion, not the Connect schema: the same Avro
 * {@code timestamp-millis} (a {@link Date}) becomes an {@link Instant} for a {@code timestamp}
 * column and a UTC {@link LocalDate} for a {@code date} column. Numbers convert only when no
 * information is lost; anything else is a {@link ConversionException}, which the caller turns into
 * a bad record.
 */
final class ValueConverter {

  private static final long MILLIS_PER_DAY = 86_400_000L;
  private static final Pattern UUID_TEXT =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern IPV4_TEXT = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6_TEXT = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  private ValueConverter() {}

  /** Why a value cannot be written to a column; the message says what was expected. */
  static final class ConversionException extends Exception {
    ConversionException(String message) {
      super(message);
    }
  }

  /** Whether {@link #toCql} can produce values for this CQL type (checked once, at task start). */
  static boolean supports(DataType type) {
    switch (type.getProtocolCode()) {
      case ASCII, VARCHAR, BIGINT, BLOB, BOOLEAN, DATE, DECIMAL, DOUBLE, FLOAT, INET, INT, SMALLINT,
          TIME, TIMESTAMP, TIMEUUID, TINYINT, UUID, VARINT:
        return true;
      case LIST:
        return supports(((ListType) type).getElementType());
      case SET:
        return supports(((SetType) type).getElementType());
      case MAP:
        return supports(((MapType) type).getKeyType()) && supports(((MapType) type).getValueType());
      default:
        // counter (cannot be INSERTed), duration, tuple, UDT, vector and custom types
        return false;
    }
  }

  /**
   * Converts {@code value} for a column of type {@code type}.
   *
   * @return null for a null value, otherwise an instance of the default codec's Java type
   */
  static Object toCql(Object value, DataType type) throws ConversionException {
    try {
      return convert(value, type);
    } catch (DateTimeException | ArithmeticException e) {
      // Time arithmetic beyond the supported range, e.g. a date in the year 300000.
      throw new ConversionException(
          "cannot convert " + describe(value) + " to CQL " + cql(type) + ": " + e.getMessage());
    }
  }

  private static Object convert(Object value, DataType type) throws ConversionException {
    if (value == null) {
      return null;
    }
    switch (type.getProtocolCode()) {
      case VARCHAR:
        return toText(value, type);
      case ASCII:
        String text = toText(value, type);
        if (!text.chars().allMatch(c -> c < 128)) {
          throw new ConversionException("non-ASCII characters cannot be written to an ascii column");
        }
        return text;
      case TIMESTAMP:
        return toInstant(value, type);
      case DATE:
        return toLocalDate(value, type);
      case TIME:
        return toLocalTime(value, type);
      case UUID:
        return toUuid(value, type, false);
      case TIMEUUID:
        return toUuid(value, type, true);
      case BOOLEAN:
        return toBoolean(value, type);
      case TINYINT:
        return exactInteger(value, type, (long) Byte.MIN_VALUE, (long) Byte.MAX_VALUE).byteValue();
      case SMALLINT:
        return exactInteger(value, type, (long) Short.MIN_VALUE, (long) Short.MAX_VALUE).shortValue();
      case INT:
        return exactInteger(value, type, (long) Integer.MIN_VALUE, (long) Integer.MAX_VALUE).intValue();
      case BIGINT:
        return exactInteger(value, type, Long.MIN_VALUE, Long.MAX_VALUE).longValue();
      case VARINT:
        return exactInteger(value, type, null, null);
      case DECIMAL:
        return toDecimal(value, type);
      case DOUBLE:
        return toDouble(value, type);
      case FLOAT:
        return toFloat(value, type);
      case BLOB:
        return toBlob(value, type);
      case INET:
        return toInet(value, type);
      case LIST:
        return toList(value, ((ListType) type).getElementType(), type);
      case SET:
        return new LinkedHashSet<>(toList(value, ((SetType) type).getElementType(), type));
      case MAP:
        return toMap(value, (MapType) type);
      default:
        throw new ConversionException("CQL type " + cql(type) + " is not supported by this sink");
    }
  }

  private static String toText(Object v, DataType type) throws ConversionException {
    if (v instanceof CharSequence s) {
      return s.toString();
    }
    if (v instanceof BigDecimal d) {
      return d.toPlainString();
    }
    if (v instanceof Number || v instanceof Boolean || v instanceof java.util.UUID) {
      return v.toString();
    }
    if (v instanceof Date d) {
      return Instant.ofEpochMilli(d.getTime()).toString();
    }
    // Payload-like fields (records, maps, arrays) are kept readable as JSON text.
    if (v instanceof Struct || v instanceof Map || v instanceof Collection) {
      return JsonText.write(v);
    }
    throw wrongType(v, type);
  }

  private static Instant toInstant(Object v, DataType type) throws ConversionException {
    // NOTE: getTime() rather than toInstant(): java.sql.Date.toInstant() throws.
    if (v instanceof Date d) {
      return Instant.ofEpochMilli(d.getTime());
    }
    if (v instanceof Instant i) {
      return i;
    }
    if (isIntegral(v)) {
      return Instant.ofEpochMilli(((Number) v).longValue()); // epoch milliseconds
    }
    if (v instanceof String s) {
      try {
        return OffsetDateTime.parse(s.trim()).toInstant(); // ISO-8601 with an offset or Z
      } catch (DateTimeParseException e) {
        throw new ConversionException(
            "'" + s + "' is not an ISO-8601 timestamp with an offset (e.g. 2026-01-31T12:00:00Z)");
      }
    }
    throw wrongType(v, type);
  }

  private static LocalDate toLocalDate(Object v, DataType type) throws ConversionException {
    // CRITICAL: the calendar day in UTC, never in the worker's default time zone, so the same
    // event lands in the same day partition wherever Connect runs.
    if (v instanceof Date || v instanceof Instant || isIntegral(v)) {
      return LocalDate.ofInstant(toInstant(v, type), ZoneOffset.UTC);
    }
    if (v instanceof LocalDate d) {
      return d;
    }
    if (v instanceof String s) {
      try {
        return LocalDate.parse(s.trim());
      } catch (DateTimeParseException e) {
        throw new ConversionException("'" + s + "' is not an ISO-8601 date (yyyy-MM-dd)");
      }
    }
    throw wrongType(v, type);
  }

  private static LocalTime toLocalTime(Object v, DataType type) throws ConversionException {
    if (v instanceof Date d) {
      // Connect's Time logical type: milliseconds since midnight, UTC.
      return LocalTime.ofNanoOfDay(Math.floorMod(d.getTime(), MILLIS_PER_DAY) * 1_000_000L);
    }
    if (v instanceof LocalTime t) {
      return t;
    }
    if (v instanceof String s) {
      try {
        return LocalTime.parse(s.trim());
      } catch (DateTimeParseException e) {
        throw new ConversionException("'" + s + "' is not an ISO-8601 time (HH:mm:ss[.SSS])");
      }
    }
    throw wrongType(v, type);
  }

  private static java.util.UUID toUuid(Object v, DataType type, boolean timeBased)
      throws ConversionException {
    java.util.UUID uuid;
    if (v instanceof java.util.UUID u) {
      uuid = u;
    } else if (v instanceof String s) {
      // UUID.fromString accepts malformed text such as "1-2-3-4-5": check the canonical form.
      if (!UUID_TEXT.matcher(s.trim()).matches()) {
        throw new ConversionException("'" + s + "' is not a UUID (8-4-4-4-12 hex digits)");
      }
      uuid = java.util.UUID.fromString(s.trim());
    } else {
      throw wrongType(v, type);
    }
    if (timeBased && uuid.version() != 1) {
      throw new ConversionException(
          "'" + uuid + "' is a version " + uuid.version() + " UUID; a timeuuid column needs version 1");
    }
    return uuid;
  }

  private static Boolean toBoolean(Object v, DataType type) throws ConversionException {
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s) {
      String t = s.trim().toLowerCase(Locale.ROOT);
      if (t.equals("true") || t.equals("false")) {
        return Boolean.valueOf(t);
      }
      throw new ConversionException("'" + s + "' is not true or false");
    }
    throw wrongType(v, type);
  }

  /** The exact integer value of {@code v}, within [min, max] when those are given. */
  private static BigInteger exactInteger(Object v, DataType type, Long min, Long max)
      throws ConversionException {
    BigInteger n;
    if (isIntegral(v)) {
      n = BigInteger.valueOf(((Number) v).longValue());
    } else if (v instanceof BigInteger b) {
      n = b;
    } else if (v instanceof BigDecimal d) {
      n = integralPart(d, v, type);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (!Double.isFinite(d)) {
        throw lossy(v, type);
      }
      n = integralPart(new BigDecimal(d), v, type);
    } else if (v instanceof String s) {
      try {
        n = new BigInteger(s.trim());
      } catch (NumberFormatException e) {
        throw new ConversionException("'" + s + "' is not an integer (" + cql(type) + ")");
      }
    } else {
      throw wrongType(v, type);
    }
    if ((min != null && n.compareTo(BigInteger.valueOf(min)) < 0)
        || (max != null && n.compareTo(BigInteger.valueOf(max)) > 0)) {
      throw new ConversionException(v + " is out of range for " + cql(type));
    }
    return n;
  }

  private static BigInteger integralPart(BigDecimal d, Object original, DataType type)
      throws ConversionException {
    try {
      return d.toBigIntegerExact();
    } catch (ArithmeticException e) {
      throw lossy(original, type);
    }
  }

  private static BigDecimal toDecimal(Object v, DataType type) throws ConversionException {
    if (v instanceof BigDecimal d) {
      return d;
    }
    if (v instanceof BigInteger b) {
      return new BigDecimal(b);
    }
    if (isIntegral(v)) {
      return BigDecimal.valueOf(((Number) v).longValue());
    }
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (!Double.isFinite(d)) {
        throw lossy(v, type);
      }
      // The shortest decimal that reads back as the same double (0.1 → 0.1, not 0.1000000000000000055...).
      return v instanceof Float ? new BigDecimal(v.toString()) : BigDecimal.valueOf(d);
    }
    if (v instanceof String s) {
      try {
        return new BigDecimal(s.trim());
      } catch (NumberFormatException e) {
        throw new ConversionException("'" + s + "' is not a decimal number");
      }
    }
    throw wrongType(v, type);
  }

  private static Double toDouble(Object v, DataType type) throws ConversionException {
    if (v instanceof Double d) {
      return d;
    }
    if (v instanceof Float f) {
      return f.doubleValue();
    }
    if (v instanceof String s) {
      try {
        return Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        throw new ConversionException("'" + s + "' is not a number");
      }
    }
    BigDecimal exact = exactDecimal(v, type);
    double d = exact.doubleValue();
    if (Double.isFinite(d) && new BigDecimal(d).compareTo(exact) == 0) {
      return d;
    }
    throw lossy(v, type);
  }

  private static Float toFloat(Object v, DataType type) throws ConversionException {
    if (v instanceof Float f) {
      return f;
    }
    if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite() || (double) d.floatValue() == d) {
        return d.floatValue();
      }
      throw lossy(v, type);
    }
    if (v instanceof String s) {
      try {
        return Float.parseFloat(s.trim());
      } catch (NumberFormatException e) {
        throw new ConversionException("'" + s + "' is not a number");
      }
    }
    BigDecimal exact = exactDecimal(v, type);
    float f = exact.floatValue();
    if (Float.isFinite(f) && new BigDecimal(f).compareTo(exact) == 0) {
      return f;
    }
    throw lossy(v, type);
  }

  /** Integers and BigDecimals as exact decimals; anything else is the wrong type. */
  private static BigDecimal exactDecimal(Object v, DataType type) throws ConversionException {
    if (isIntegral(v)) {
      return BigDecimal.valueOf(((Number) v).longValue());
    }
    if (v instanceof BigInteger b) {
      return new BigDecimal(b);
    }
    if (v instanceof BigDecimal d) {
      return d;
    }
    throw wrongType(v, type);
  }

  private static ByteBuffer toBlob(Object v, DataType type) throws ConversionException {
    if (v instanceof byte[] bytes) {
      return ByteBuffer.wrap(bytes);
    }
    if (v instanceof ByteBuffer b) {
      return b.duplicate(); // never move the caller's position
    }
    throw wrongType(v, type);
  }

  private static InetAddress toInet(Object v, DataType type) throws ConversionException {
    try {
      if (v instanceof InetAddress a) {
        return a;
      }
      if (v instanceof byte[] b && (b.length == 4 || b.length == 16)) {
        return InetAddress.getByAddress(b);
      }
      if (v instanceof String s) {
        String t = s.trim();
        // Only literals: a host name would make the sink do DNS lookups per record.
        if (IPV4_TEXT.matcher(t).matches() || IPV6_TEXT.matcher(t).matches()) {
          return InetAddress.getByName(t);
        }
        throw new ConversionException("'" + s + "' is not an IPv4 or IPv6 address literal");
      }
    } catch (UnknownHostException e) {
      throw new ConversionException("'" + v + "' is not an IP address: " + e.getMessage());
    }
    throw wrongType(v, type);
  }

  private static List<Object> toList(Object v, DataType elementType, DataType type)
      throws ConversionException {
    if (!(v instanceof Collection<?> source)) {
      throw wrongType(v, type);
    }
    List<Object> out = new ArrayList<>(source.size());
    for (Object element : source) {
      if (element == null) {
        throw new ConversionException("Cassandra collections cannot hold null elements");
      }
      out.add(convert(element, elementType));
    }
    return out;
  }

  private static Map<Object, Object> toMap(Object v, MapType type) throws ConversionException {
    if (!(v instanceof Map<?, ?> source)) {
      throw wrongType(v, type);
    }
    Map<Object, Object> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : source.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new ConversionException("Cassandra maps cannot hold null keys or values");
      }
      out.put(convert(e.getKey(), type.getKeyType()), convert(e.getValue(), type.getValueType()));
    }
    return out;
  }

  private static boolean isIntegral(Object v) {
    return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte;
  }

  private static ConversionException wrongType(Object v, DataType type) {
    return new ConversionException(
        "cannot convert " + describe(v) + " to CQL " + cql(type));
  }

  private static ConversionException lossy(Object v, DataType type) {
    return new ConversionException(
        describe(v) + " " + v + " cannot be stored in CQL " + cql(type) + " without loss");
  }

  static String describe(Object v) {
    if (v instanceof Struct s) {
      String name = s.schema().name();
      return "a Struct" + (name == null ? "" : " (" + name + ")");
    }
    if (v instanceof Set) {
      return "a Set";
    }
    return "a " + v.getClass().getSimpleName();
  }

  private static String cql(DataType type) {
    return type.asCql(false, true);
  }
}
