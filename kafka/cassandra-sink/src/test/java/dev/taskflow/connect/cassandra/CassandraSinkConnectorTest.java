package dev.taskflow.connect.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.sink.SinkConnector;
import org.junit.jupiter.api.Test;

class CassandraSinkConnectorTest {

  private static Map<String, String> validConfig() {
    Map<String, String> props = new HashMap<>();
    props.put("name", "interactions-sink");
    props.put("connector.class", CassandraSinkConnector.class.getName());
    props.put("topics", "taskflow-interactions");
    props.put("contactPoints", "127.0.0.1, 127.0.0.2");
    props.put("topic.taskflow-interactions.taskflow.interactions.mapping", "id=value.id, time=value.time");
    return props;
  }

  private static Map<String, List<String>> errors(Config config) {
    return config.configValues().stream()
        .filter(v -> !v.errorMessages().isEmpty())
        .collect(Collectors.toMap(ConfigValue::name, ConfigValue::errorMessages));
  }

  @Test
  void validConfigHasNoErrorsAndDefaults() {
    Map<String, String> props = validConfig();
    assertEquals(Map.of(), errors(new CassandraSinkConnector().validate(props)));

    CassandraSinkConfig config = new CassandraSinkConfig(props);
    assertEquals(List.of("127.0.0.1", "127.0.0.2"), config.contactPoints());
    assertEquals(9042, config.port());
    assertEquals("datacenter1", config.localDc());
    assertEquals(128, config.maxConcurrentRequests());
    assertEquals(10_000L, config.requestTimeoutMs());
    assertEquals("", config.username());
    assertEquals(1, config.mappings().size());
  }

  @Test
  void validateAttachesEachErrorToItsKey() {
    Map<String, String> props = validConfig();
    props.put("topics", "taskflow-interactions,taskflow-workflow-events");
    props.put("topic.taskflow-interactions.taskflow.interactions.ttl", "forever");
    props.put("topic.taskflow-lifecycle.taskflow.lifecycle.mapping", "id=value.id");
    props.put("port", "70000");
    props.put("auth.username", "sink");

    Map<String, List<String>> errors = errors(new CassandraSinkConnector().validate(props));

    assertTrue(errors.get("topic.taskflow-interactions.taskflow.interactions.ttl").get(0).contains("not an integer"));
    assertTrue(errors.get("topic.taskflow-lifecycle.taskflow.lifecycle.mapping").get(0)
        .contains("topic 'taskflow-lifecycle' is not in topics"));
    assertTrue(errors.get("topics").get(0).contains("topic 'taskflow-workflow-events' has no mapping"));
    assertTrue(errors.containsKey("port"), errors.toString());
    assertTrue(errors.get("auth.password").get(0).contains("required when auth.username is set"));
  }

  @Test
  void startRejectsABadMappingNamingTheKey() {
    Map<String, String> props = validConfig();
    props.put("topic.taskflow-interactions.taskflow.interactions.mapping", "id=value.");

    ConfigException e =
        assertThrows(ConfigException.class, () -> new CassandraSinkConnector().start(props));
    assertTrue(e.getMessage().contains("topic.taskflow-interactions.taskflow.interactions.mapping"));
  }

  @Test
  void everyTaskGetsTheSameConfig() {
    CassandraSinkConnector connector = new CassandraSinkConnector();
    connector.start(validConfig());
    List<Map<String, String>> tasks = connector.taskConfigs(3);
    assertEquals(3, tasks.size());
    tasks.forEach(t -> assertEquals(validConfig(), t));
  }

  @Test
  void everyKeyHasADocAndAGroup() {
    for (ConfigDef.ConfigKey key : CassandraSinkConfig.CONFIG_DEF.configKeys().values()) {
      assertTrue(key.documentation != null && !key.documentation.isBlank(), key.name);
      assertTrue(key.group != null && !key.group.isBlank(), key.name);
    }
  }

  @Test
  void isFoundByServiceLoaderAndReportsTheProjectVersion() {
    // Connect's plugin.discovery=service_load only sees connectors listed in META-INF/services.
    boolean found =
        ServiceLoader.load(SinkConnector.class).stream()
            .anyMatch(p -> p.type() == CassandraSinkConnector.class);
    assertTrue(found);
    assertNotEquals("unknown", new CassandraSinkConnector().version());
    assertEquals(new CassandraSinkConnector().version(), new CassandraSinkTask().version());
  }

  @Test
  void validationResultRendersWithTheWorkersKeyTypes() {
    // The worker renders every returned value with its own type for that key (topics is a LIST);
    // a String there made PUT /connectors/.../config answer 500 instead of listing the errors.
    ConfigDef worker =
        new ConfigDef()
            .define("topics", ConfigDef.Type.LIST, "", ConfigDef.Importance.HIGH, "topics")
            .define("topics.regex", ConfigDef.Type.STRING, "", ConfigDef.Importance.HIGH, "regex");
    Map<String, String> props = validConfig();
    props.put("topics", "taskflow-interactions,unmapped");
    props.put("topics.regex", "x.*");

    Config result = new CassandraSinkConnector().validate(props);

    for (ConfigValue value : result.configValues()) {
      ConfigDef.ConfigKey key = worker.configKeys().get(value.name());
      ConfigDef.convertToString(value.value(), key == null ? null : key.type);
    }
    assertTrue(errors(result).containsKey("topics"));
    assertTrue(errors(result).containsKey("topics.regex"));
  }
}
