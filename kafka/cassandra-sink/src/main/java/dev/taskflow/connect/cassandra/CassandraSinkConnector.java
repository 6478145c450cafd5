package dev.taskflow.connect.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Connect sink writing records into Cassandra tables, configured in the DataStax sink style:
 * {@code topic.<topic>.<keyspace>.<table>.mapping = column=value.field, ...} plus optional {@code
 * ttl}, {@code consistencyLevel} and {@code nullToUnset} per table. One topic may feed several
 * tables. See {@link CassandraSinkConfig} for the connection keys.
 *
 * <p>The connector itself only validates the configuration; every task gets the same config and
 * Connect spreads the topic partitions over them.
 */
public class CassandraSinkConnector extends SinkConnector {

  private static final Logger log = LoggerFactory.getLogger(CassandraSinkConnector.class);

  /** The Maven project version, filtered into version.properties at build time. */
  static final String VERSION = loadVersion();

  private Map<String, String> props;

  @Override
  public String version() {
    return VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    // Throws ConfigException naming the bad key; Connect then marks the connector FAILED.
    CassandraSinkConfig config = new CassandraSinkConfig(props);
    this.props = Map.copyOf(props);
    log.info(
        "Cassandra sink {} {}: contact points {}, port {}, local DC {}, {} table mapping(s)",
        props.get("name"),
        VERSION,
        config.contactPoints(),
        config.port(),
        config.localDc(),
        config.mappings().size());
  }

  @Override
  public Class<? extends Task> taskClass() {
    return CassandraSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>(maxTasks);
    for (int i = 0; i < maxTasks; i++) {
      configs.add(new HashMap<>(props));
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return CassandraSinkConfig.CONFIG_DEF;
  }

  /**
   * Adds the table-mapping checks to the ConfigDef's: errors are attached to the key at fault
   * (e.g. {@code topic.t.ks.tbl.mapping} or {@code topics}), so {@code PUT
   * /connectors/<name>/config} is refused with a message naming it.
   */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config base = super.validate(connectorConfigs);
    Map<String, ConfigValue> values = new LinkedHashMap<>();
    for (ConfigValue value : base.configValues()) {
      values.put(value.name(), value);
    }
    TableMappingParser.Result result = TableMappingParser.parse(connectorConfigs);
    result
        .errors()
        .forEach(
            (key, messages) -> {
              ConfigValue value =
                  values.computeIfAbsent(
                      key,
                      k -> new ConfigValue(k, parsedValue(k, connectorConfigs.get(k)), new ArrayList<>(), new ArrayList<>()));
              messages.forEach(value::addErrorMessage);
            });
    String username = connectorConfigs.getOrDefault(CassandraSinkConfig.AUTH_USERNAME, "").trim();
    String password = connectorConfigs.get(CassandraSinkConfig.AUTH_PASSWORD);
    if (!username.isEmpty() && (password == null || password.isEmpty())) {
      values
          .get(CassandraSinkConfig.AUTH_PASSWORD)
          .addErrorMessage("required when " + CassandraSinkConfig.AUTH_USERNAME + " is set");
    }
    return new Config(new ArrayList<>(values.values()));
  }

  /**
   * TRICKY: the worker renders each returned value with the type of its own definition of that key,
   * and it defines {@code topics} as a LIST: a String there fails the whole validation with a
   * ClassCastException (HTTP 500). The {@code topic.*} keys have no definition and render as text.
   */
  private static Object parsedValue(String key, String raw) {
    if (raw == null || !key.equals(TableMappingParser.TOPICS)) {
      return raw;
    }
    return (List<?>) ConfigDef.parseType(key, raw, ConfigDef.Type.LIST);
  }

  private static String loadVersion() {
    try (InputStream in = CassandraSinkConnector.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null && !v.isBlank() && !v.startsWith("${")) {
          return v.trim();
        }
      }
    } catch (IOException e) {
      // fall through to "unknown": a missing version must not stop the plugin from loading
    }
    return "unknown";
  }
}
