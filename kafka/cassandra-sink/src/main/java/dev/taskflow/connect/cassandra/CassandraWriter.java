package dev.taskflow.connect.cassandra;

import com.datastax.dse.driver.api.core.config.DseDriverOption;
import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.metadata.schema.ColumnMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.KeyspaceMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.TableMetadata;
import com.datastax.oss.driver.api.core.type.DataType;
import com.datastax.oss.driver.api.core.type.ListType;
import com.datastax.oss.driver.api.core.type.codec.TypeCodec;
import com.datastax.oss.driver.api.core.type.codec.registry.CodecRegistry;
import dev.taskflow.connect.cassandra.RecordToRowConverter.ColumnTarget;
import dev.taskflow.connect.cassandra.RecordToRowConverter.Row;
import dev.taskflow.connect.cassandra.TableMapping.ColumnMapping;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the {@link CqlSession} and one prepared INSERT per table mapping, and writes rows
 * asynchronously with at most {@code maxConcurrentRequests} in flight.
 *
 * <p>Opening checks the mapped keyspaces, tables and columns against Cassandra's schema, so a
 * mismatch fails the task at start with a message naming the key, not on the first record.
 */
final class CassandraWriter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CassandraWriter.class);

  /** Failures kept per batch for the error message; the rest are only counted. */
  private static final int MAX_FAILURES_KEPT = 10;

  private final CqlSession session;
  private final Map<TableMapping, PreparedTable> tables;
  private final Map<String, List<RecordToRowConverter>> convertersByTopic;
  private final Semaphore permits;

  /** One table mapping, ready to bind. */
  private record PreparedTable(
      PreparedStatement statement,
      List<TypeCodec<Object>> codecs,
      ConsistencyLevel consistencyLevel,
      boolean idempotent) {}

  /** Some writes of a batch failed; the kept failures are the driver's exceptions, unwrapped. */
  static final class WriteFailedException extends RuntimeException {
    private final List<Throwable> failures;

    WriteFailedException(int failed, int attempted, int rows, List<Throwable> failures) {
      super(
          failed
              + " of "
              + attempted
              + " Cassandra writes issued failed (batch of "
              + rows
              + " rows); first: "
              + failures.get(0),
          failures.get(0));
      this.failures = List.copyOf(failures);
    }

    List<Throwable> failures() {
      return failures;
    }
  }

  private CassandraWriter(
      CqlSession session,
      Map<TableMapping, PreparedTable> tables,
      Map<String, List<RecordToRowConverter>> convertersByTopic,
      int maxConcurrentRequests) {
    this.session = session;
    this.tables = tables;
    this.convertersByTopic = convertersByTopic;
    this.permits = new Semaphore(maxConcurrentRequests);
  }

  /**
   * Connects, checks the schema and prepares the statements.
   *
   * @throws com.datastax.oss.driver.api.core.DriverException when Cassandra cannot be reached
   *     (the caller decides whether that is transient)
   * @throws ConnectException when a keyspace, table or column is missing or has an unsupported type
   */
  static CassandraWriter open(CassandraSinkConfig config, String sessionName, String version) {
    CqlSession session = buildSession(config, sessionName, version);
    try {
      Map<TableMapping, PreparedTable> tables = new IdentityHashMap<>();
      Map<String, List<RecordToRowConverter>> converters = new LinkedHashMap<>();
      CodecRegistry codecs = session.getContext().getCodecRegistry();
      for (TableMapping mapping : config.mappings()) {
        TableMetadata table = tableMetadata(session, mapping);
        List<ColumnTarget> targets = columnTargets(table, mapping);
        RecordToRowConverter converter;
        try {
          converter = new RecordToRowConverter(mapping, targets);
        } catch (IllegalArgumentException e) {
          throw new ConnectException(e.getMessage() + " (" + mapping.keyPrefix() + "mapping)");
        }
        converters.computeIfAbsent(mapping.topic(), t -> new ArrayList<>()).add(converter);
        tables.put(mapping, prepare(session, codecs, mapping, targets));
        log.info(
            "Cassandra sink: topic {} -> {} ({}), ttl={}, consistency={}, nullToUnset={}",
            mapping.topic(),
            mapping.qualifiedTable(),
            mapping.columns().stream().map(ColumnMapping::toString).collect(Collectors.joining(", ")),
            mapping.ttlSeconds() == TableMapping.TABLE_DEFAULT_TTL
                ? "table default"
                : mapping.ttlSeconds() + "s",
            mapping.consistencyLevel(),
            mapping.nullToUnset());
      }
      converters.replaceAll((topic, list) -> List.copyOf(list));
      return new CassandraWriter(
          session, tables, Collections.unmodifiableMap(converters), config.maxConcurrentRequests());
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  private static CqlSession buildSession(
      CassandraSinkConfig config, String sessionName, String version) {
    // The plugin's own class loader: Connect isolates plugins, and the driver loads its
    // reference.conf and policy classes by name.
    ClassLoader pluginLoader = CassandraWriter.class.getClassLoader();
    DriverConfigLoader loader =
        DriverConfigLoader.programmaticBuilder(pluginLoader)
            .withString(DefaultDriverOption.SESSION_NAME, sessionName)
            .withDuration(
                DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofMillis(config.requestTimeoutMs()))
            // NOTE: metrics-core/HdrHistogram are left out of the plugin folder (see pom.xml), and
            // Insights reporting only concerns DataStax Enterprise: say so explicitly rather than
            // rely on the driver probing the classpath (which also sees the worker's jars).
            .withString(DefaultDriverOption.METRICS_FACTORY_CLASS, "NoopMetricsFactory")
            .withBoolean(DseDriverOption.MONITOR_REPORTING_ENABLED, false)
            // jnr-posix is left out too: without this the driver probes for a native clock and logs
            // a stack trace at every start. Every write carries its own USING TIMESTAMP anyway.
            .withBoolean(DefaultDriverOption.TIMESTAMP_GENERATOR_FORCE_JAVA_CLOCK, true)
            .build();
    CqlSessionBuilder builder =
        CqlSession.builder()
            .withConfigLoader(loader)
            .withClassLoader(pluginLoader)
            .withLocalDatacenter(config.localDc())
            .withApplicationName("taskflow-cassandra-sink")
            .withApplicationVersion(version);
    for (String host : config.contactPoints()) {
      // Unresolved: the driver resolves names itself, again on reconnection.
      builder.addContactPoint(InetSocketAddress.createUnresolved(host, config.port()));
    }
    if (!config.username().isEmpty()) {
      builder.withAuthCredentials(config.username(), config.password().value());
    }
    log.info(
        "Cassandra sink {} connecting to {} (port {}, local DC {}, auth {})",
        sessionName,
        config.contactPoints(),
        config.port(),
        config.localDc(),
        config.username().isEmpty() ? "off" : "as " + config.username());
    return builder.build();
  }

  private static TableMetadata tableMetadata(CqlSession session, TableMapping mapping) {
    String key = mapping.keyPrefix() + TableMappingParser.MAPPING;
    KeyspaceMetadata keyspace =
        session
            .getMetadata()
            .getKeyspace(CqlIdentifier.fromCql(mapping.keyspace()))
            .orElseThrow(
                () ->
                    new ConnectException(
                        "Keyspace "
                            + mapping.keyspace()
                            + " does not exist in Cassandra (needed by "
                            + key
                            + "); create the schema before starting the connector"));
    return keyspace
        .getTable(CqlIdentifier.fromCql(mapping.table()))
        .orElseThrow(
            () ->
                new ConnectException(
                    "Table "
                        + mapping.qualifiedTable()
                        + " does not exist in Cassandra (needed by "
                        + key
                        + "); create the schema before starting the connector"));
  }

  private static List<ColumnTarget> columnTargets(TableMetadata table, TableMapping mapping) {
    String key = mapping.keyPrefix() + TableMappingParser.MAPPING;
    List<ColumnMetadata> partitionKey = table.getPartitionKey();
    List<ColumnMetadata> primaryKey = table.getPrimaryKey();
    List<ColumnTarget> targets = new ArrayList<>();
    List<CqlIdentifier> mapped = new ArrayList<>();
    for (ColumnMapping column : mapping.columns()) {
      CqlIdentifier id = CqlIdentifier.fromCql(column.column());
      ColumnMetadata meta =
          table
              .getColumn(id)
              .orElseThrow(
                  () ->
                      new ConnectException(
                          "Column "
                              + column.column()
                              + " does not exist in "
                              + mapping.qualifiedTable()
                              + " ("
                              + key
                              + "); its columns are "
                              + table.getColumns().keySet().stream()
                                  .map(c -> c.asCql(true))
                                  .collect(Collectors.joining(", "))));
      mapped.add(id);
      boolean inPrimaryKey = primaryKey.stream().anyMatch(c -> c.getName().equals(id));
      boolean solePartitionKey =
          partitionKey.size() == 1 && partitionKey.get(0).getName().equals(id);
      targets.add(new ColumnTarget(column.column(), meta.getType(), inPrimaryKey, solePartitionKey));
    }
    List<String> unmappedKey =
        primaryKey.stream()
            .map(ColumnMetadata::getName)
            .filter(name -> !mapped.contains(name))
            .map(name -> name.asCql(true))
            .toList();
    if (!unmappedKey.isEmpty()) {
      throw new ConnectException(
          "Primary key column(s) "
              + String.join(", ", unmappedKey)
              + " of "
              + mapping.qualifiedTable()
              + " are not mapped by "
              + key);
    }
    return targets;
  }

  @SuppressWarnings("unchecked")
  private static PreparedTable prepare(
      CqlSession session, CodecRegistry registry, TableMapping mapping, List<ColumnTarget> targets) {
    String columns =
        targets.stream()
            .map(t -> CqlIdentifier.fromCql(t.column()).asCql(true))
            .collect(Collectors.joining(", "));
    String markers = targets.stream().map(t -> "?").collect(Collectors.joining(", "));
    String cql =
        "INSERT INTO "
            + CqlIdentifier.fromCql(mapping.keyspace()).asCql(true)
            + "."
            + CqlIdentifier.fromCql(mapping.table()).asCql(true)
            + " ("
            + columns
            + ") VALUES ("
            + markers
            + ") USING TIMESTAMP ?"
            + (mapping.ttlSeconds() == TableMapping.TABLE_DEFAULT_TTL ? "" : " AND TTL ?");
    PreparedStatement statement = session.prepare(SimpleStatement.newInstance(cql));
    List<TypeCodec<Object>> codecs = new ArrayList<>();
    for (ColumnTarget target : targets) {
      codecs.add((TypeCodec<Object>) (TypeCodec<?>) registry.codecFor(target.type()));
    }
    // TRICKY: INSERTing a list appends elements under fresh server-side cell paths, so a replayed
    // write duplicates them even with the same timestamp. Only then may the driver not retry.
    boolean idempotent = targets.stream().noneMatch(t -> containsList(t.type()));
    log.debug("Prepared for {}: {}", mapping.keyPrefix(), cql);
    return new PreparedTable(
        statement, codecs, DefaultConsistencyLevel.valueOf(mapping.consistencyLevel()), idempotent);
  }

  /** list columns, also nested in a map, set or frozen type. */
  private static boolean containsList(DataType type) {
    return type instanceof ListType || type.asCql(false, true).contains("list<");
  }

  /** The converters for a topic's tables; empty if the topic is not mapped. */
  List<RecordToRowConverter> convertersFor(String topic) {
    return convertersByTopic.getOrDefault(topic, List.of());
  }

  /**
   * Writes all rows and returns once every write has completed. Stops issuing new writes after
   * the first failure (the batch is retried or the task fails either way) but still waits for the
   * ones in flight.
   *
   * @throws WriteFailedException if any write failed
   * @throws InterruptedException if interrupted while waiting for a free slot
   */
  void write(List<Row> rows) throws InterruptedException {
    if (rows.isEmpty()) {
      return;
    }
    List<CompletableFuture<AsyncResultSet>> inFlight = new ArrayList<>(rows.size());
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger failed = new AtomicInteger();
    int attempted = 0;
    try {
      for (Row row : rows) {
        if (failed.get() > 0) {
          break;
        }
        BoundStatementBuilder statement = bind(row);
        permits.acquire();
        attempted++;
        CompletionStage<AsyncResultSet> stage;
        try {
          stage = session.executeAsync(statement.build());
        } catch (RuntimeException e) {
          permits.release();
          recordFailure(e, failed, failures);
          break;
        }
        inFlight.add(
            stage
                .toCompletableFuture()
                .whenComplete(
                    (rs, error) -> {
                      permits.release();
                      if (error != null) {
                        recordFailure(error, failed, failures);
                      }
                    }));
      }
    } finally {
      awaitAll(inFlight);
    }
    if (failed.get() > 0) {
      throw new WriteFailedException(failed.get(), attempted, rows.size(), new ArrayList<>(failures));
    }
  }

  private BoundStatementBuilder bind(Row row) {
    PreparedTable table = tables.get(row.mapping());
    if (table == null) {
      throw new IllegalStateException("no prepared statement for " + row.mapping().keyPrefix());
    }
    BoundStatementBuilder builder = table.statement().boundStatementBuilder();
    Object[] values = row.values();
    for (int i = 0; i < values.length; i++) {
      Object value = values[i];
      if (value == RecordToRowConverter.UNSET) {
        continue; // unset bind values write nothing: no tombstone for an absent optional field
      } else if (value == null) {
        builder = builder.setToNull(i);
      } else {
        builder = builder.set(i, value, table.codecs().get(i));
      }
    }
    builder = builder.setLong(values.length, row.writeTimeMicros());
    if (row.mapping().ttlSeconds() != TableMapping.TABLE_DEFAULT_TTL) {
      builder = builder.setInt(values.length + 1, row.mapping().ttlSeconds());
    }
    return builder
        .setConsistencyLevel(table.consistencyLevel())
        .setIdempotence(table.idempotent());
  }

  private static void recordFailure(Throwable error, AtomicInteger failed, List<Throwable> kept) {
    failed.incrementAndGet();
    Throwable cause = unwrap(error);
    synchronized (kept) {
      if (kept.size() < MAX_FAILURES_KEPT) {
        kept.add(cause);
      }
    }
  }

  static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * Waits for every write: each is bounded by the driver's request timeout, so this cannot hang
   * for longer than that after the last one was issued.
   */
  private static void awaitAll(List<CompletableFuture<AsyncResultSet>> inFlight) {
    CompletableFuture<Void> all = CompletableFuture.allOf(inFlight.toArray(new CompletableFuture[0]));
    boolean interrupted = false;
    while (true) {
      try {
        all.get(1, TimeUnit.MINUTES);
        break;
      } catch (ExecutionException e) {
        break; // individual failures are recorded by each future's callback
      } catch (TimeoutException e) {
        log.warn("Cassandra sink: still waiting for {} writes to complete", inFlight.size());
      } catch (InterruptedException e) {
        interrupted = true; // keep waiting: returning early would let put() finish too soon
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    try {
      session.closeAsync().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Cassandra sink: session did not close cleanly", e);
    }
  }
}
