package dev.taskflow.connect.cassandra;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/**
 * Renders Connect values (Struct, Map, List and their contents) as compact JSON, for payload-like
 * fields stored in text columns.
 *
 * <p>NOTE: hand-written rather than through Jackson: a Struct has to be walked by hand anyway, and
 * the rendering is ours to pin down. Struct fields keep their schema order; dates become ISO-8601
 * instants, bytes become base64 strings, non-finite doubles become strings.
 */
final class JsonText {

  private JsonText() {}

  static String write(Object value) {
    StringBuilder out = new StringBuilder();
    append(out, value);
    return out.toString();
  }

  private static void append(StringBuilder out, Object v) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof CharSequence s) {
      appendString(out, s.toString());
    } else if (v instanceof Boolean) {
      out.append(v);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isFinite(d)) {
        out.append(v); // Java's 1.0E10 notation is valid JSON
      } else {
        appendString(out, v.toString());
      }
    } else if (v instanceof BigDecimal d) {
      out.append(d.toString());
    } else if (v instanceof Number) {
      out.append(v);
    } else if (v instanceof Date d) {
      appendString(out, Instant.ofEpochMilli(d.getTime()).toString());
    } else if (v instanceof byte[] bytes) {
      appendString(out, Base64.getEncoder().encodeToString(bytes));
    } else if (v instanceof ByteBuffer buffer) {
      ByteBuffer copy = buffer.duplicate();
      byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      appendString(out, Base64.getEncoder().encodeToString(bytes));
    } else if (v instanceof Struct struct) {
      out.append('{');
      boolean first = true;
      for (Field field : struct.schema().fields()) {
        first = comma(out, first);
        appendString(out, field.name());
        out.append(':');
        append(out, struct.get(field));
      }
      out.append('}');
    } else if (v instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        first = comma(out, first);
        appendString(out, String.valueOf(e.getKey()));
        out.append(':');
        append(out, e.getValue());
      }
      out.append('}');
    } else if (v instanceof Collection<?> list) {
      out.append('[');
      boolean first = true;
      for (Object element : list) {
        first = comma(out, first);
        append(out, element);
      }
      out.append(']');
    } else {
      appendString(out, v.toString());
    }
  }

  private static boolean comma(StringBuilder out, boolean first) {
    if (!first) {
      out.append(',');
    }
    return false;
  }

  private static void appendString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
