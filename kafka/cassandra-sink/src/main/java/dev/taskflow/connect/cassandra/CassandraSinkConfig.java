package dev.taskflow.connect.cassandra;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The sink's settings. The fixed keys live in {@link #CONFIG_DEF}; the per-table keys ({@code
 * topic.<topic>.<keyspace>.<table>.mapping|ttl|consistencyLevel|nullToUnset}) are dynamic and parsed
 * by {@link TableMappingParser}. Key names follow the DataStax Cassandra sink so its docs and
 * configs carry over.
 */
public final class CassandraSinkConfig extends AbstractConfig {

  public static final String CONTACT_POINTS = "contactPoints";
  public static final String PORT = "port";
  public static final String LOCAL_DC = "loadBalancing.localDc";
  public static final String AUTH_USERNAME = "auth.username";
  public static final String AUTH_PASSWORD = "auth.password";
  public static final String MAX_CONCURRENT_REQUESTS = "maxConcurrentRequests";
  public static final String REQUEST_TIMEOUT_MS = "requestTimeoutMs";
  public static final String RETRY_BACKOFF_MS = "retryBackoffMs";

  static final String GROUP_CONNECTION = "Connection";
  static final String GROUP_AUTH = "Authentication";
  static final String GROUP_WRITES = "Writes";
  static final String GROUP_ERRORS = "Errors";

  public static final ConfigDef CONFIG_DEF = buildConfigDef();

  private final List<TableMapping> mappings;

  /**
   * Parses and validates everything, table mappings included.
   *
   * @throws ConfigException naming the first bad key (and listing all of them)
   */
  public CassandraSinkConfig(Map<String, String> props) {
    super(CONFIG_DEF, props);
    this.mappings = TableMappingParser.parse(props).mappingsOrThrow();
    if (!username().isEmpty() && password() == null) {
      throw new ConfigException(AUTH_PASSWORD, null, "required when " + AUTH_USERNAME + " is set");
    }
  }

  private static ConfigDef buildConfigDef() {
    int order = 0;
    ConfigDef def = new ConfigDef();
    def.define(
        CONTACT_POINTS,
        Type.LIST,
        "127.0.0.1",
        new ConfigDef.Validator() {
          @Override
          public void ensureValid(String name, Object value) {
            @SuppressWarnings("unchecked")
            List<String> hosts = (List<String>) value;
            if (hosts == null || hosts.isEmpty() || hosts.stream().anyMatch(String::isBlank)) {
              throw new ConfigException(name, value, "needs at least one host name or IP address");
            }
          }

          @Override
          public String toString() {
            return "non-empty list of hosts";
          }
        },
        Importance.HIGH,
        "Comma-separated Cassandra hosts (names or IP addresses) the driver contacts first; it"
            + " discovers the rest of the cluster from them. All use the same 'port'.",
        GROUP_CONNECTION,
        ++order,
        Width.LONG,
        "Contact points");
    def.define(
        PORT,
        Type.INT,
        9042,
        Range.between(1, 65535),
        Importance.HIGH,
        "CQL native transport port of the contact points.",
        GROUP_CONNECTION,
        ++order,
        Width.SHORT,
        "Port");
    def.define(
        LOCAL_DC,
        Type.STRING,
        "datacenter1",
        new ConfigDef.NonEmptyString(),
        Importance.HIGH,
        "Data center the driver treats as local: requests go to its nodes and LOCAL_*"
            + " consistency levels refer to it. Must match the cluster's data center name.",
        GROUP_CONNECTION,
        ++order,
        Width.MEDIUM,
        "Local data center");

    order = 0;
    def.define(
        AUTH_USERNAME,
        Type.STRING,
        "",
        Importance.MEDIUM,
        "User name for Cassandra's PasswordAuthenticator; empty means no authentication.",
        GROUP_AUTH,
        ++order,
        Width.MEDIUM,
        "User name");
    def.define(
        AUTH_PASSWORD,
        Type.PASSWORD,
        null,
        Importance.MEDIUM,
        "Password for 'auth.username'. Required when a user name is set.",
        GROUP_AUTH,
        ++order,
        Width.MEDIUM,
        "Password");

    order = 0;
    def.define(
        MAX_CONCURRENT_REQUESTS,
        Type.INT,
        128,
        Range.between(1, 10_000),
        Importance.MEDIUM,
        "Maximum number of asynchronous writes in flight per task. put() issues the writes of a"
            + " batch concurrently up to this bound and returns only when all have completed.",
        GROUP_WRITES,
        ++order,
        Width.SHORT,
        "Max concurrent requests");
    def.define(
        REQUEST_TIMEOUT_MS,
        Type.LONG,
        10_000L,
        Range.atLeast(1L),
        Importance.MEDIUM,
        "How long the driver waits for one write before failing it (retried by Connect as a"
            + " transient error).",
        GROUP_WRITES,
        ++order,
        Width.SHORT,
        "Request timeout (ms)");

    order = 0;
    def.define(
        RETRY_BACKOFF_MS,
        Type.LONG,
        2_000L,
        Range.atLeast(0L),
        Importance.LOW,
        "When Cassandra is unreachable, overloaded or times out, the batch is handed back to"
            + " Connect (RetriableException) and redelivered after this many milliseconds.",
        GROUP_ERRORS,
        ++order,
        Width.SHORT,
        "Retry backoff (ms)");
    return def;
  }

  public List<String> contactPoints() {
    List<String> hosts = new ArrayList<>();
    for (String host : getList(CONTACT_POINTS)) {
      hosts.add(host.trim());
    }
    return hosts;
  }

  public int port() {
    return getInt(PORT);
  }

  public String localDc() {
    return getString(LOCAL_DC);
  }

  /** Empty when authentication is off. */
  public String username() {
    return getString(AUTH_USERNAME).trim();
  }

  public Password password() {
    return getPassword(AUTH_PASSWORD);
  }

  public int maxConcurrentRequests() {
    return getInt(MAX_CONCURRENT_REQUESTS);
  }

  public long requestTimeoutMs() {
    return getLong(REQUEST_TIMEOUT_MS);
  }

  public long retryBackoffMs() {
    return getLong(RETRY_BACKOFF_MS);
  }

  /** Parsed {@code topic.*} settings, one per (topic, table). */
  public List<TableMapping> mappings() {
    return mappings;
  }
}
