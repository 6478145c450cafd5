package dev.taskflow.connect.cassandra;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.NodeUnavailableException;
import com.datastax.oss.driver.api.core.RequestThrottlingException;
import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.datastax.oss.driver.api.core.connection.BusyConnectionException;
import com.datastax.oss.driver.api.core.connection.ClosedConnectionException;
import com.datastax.oss.driver.api.core.connection.ConnectionInitException;
import com.datastax.oss.driver.api.core.connection.HeartbeatException;
import com.datastax.oss.driver.api.core.servererrors.BootstrappingException;
import com.datastax.oss.driver.api.core.servererrors.OverloadedException;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import dev.taskflow.connect.cassandra.CassandraWriter.WriteFailedException;
import dev.taskflow.connect.cassandra.RecordToRowConverter.Row;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each batch from Connect into Cassandra: converts every record (bad ones go to the
 * errant record reporter), hands the rows to the {@link CassandraWriter}, and maps driver errors
 * to {@link RetriableException} (Connect redelivers the batch) or {@link ConnectException} (the
 * task fails).
 *
 * <p>CRITICAL: {@link #put} returns only when every write has completed, because Connect commits
 * the batch's offsets after put returns. Writes are idempotent (same key, same USING TIMESTAMP), so
 * redelivery after a retriable failure is harmless.
 */
public class CassandraSinkTask extends SinkTask {

  private static final Logger log = LoggerFactory.getLogger(CassandraSinkTask.class);

  private CassandraSinkConfig config;
  private String sessionName;
  private CassandraWriter writer;
  private ErrantRecordReporter reporter;

  @Override
  public String version() {
    return CassandraSinkConnector.VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    config = new CassandraSinkConfig(props);
    sessionName = props.getOrDefault("name", "cassandra-sink");
    reporter = errantRecordReporter();
    if (reporter == null) {
      log.info(
          "Cassandra sink {}: no errant record reporter (errors.tolerance is not 'all' or no"
              + " dead-letter topic); a bad record will fail the task",
          sessionName);
    }
    try {
      writer = CassandraWriter.open(config, sessionName, version());
    } catch (RuntimeException e) {
      if (!isTransient(e)) {
        throw new ConnectException(
            "Cassandra sink " + sessionName + " could not start: " + e.getMessage(), e);
      }
      // NOTE: Cassandra being down at start-up should not fail the task for good: put() retries
      // opening and hands batches back to Connect until it can connect.
      log.warn(
          "Cassandra sink {}: Cassandra at {} port {} not reachable yet ({}); will retry on the first"
              + " batch",
          sessionName,
          config.contactPoints(),
          config.port(),
          e.getMessage());
    }
  }

  private ErrantRecordReporter errantRecordReporter() {
    try {
      return context.errantRecordReporter();
    } catch (NoSuchMethodError | NoClassDefFoundError e) {
      return null; // a worker older than Kafka 2.6
    }
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    if (records.isEmpty()) {
      return;
    }
    long started = System.nanoTime();
    CassandraWriter w = ensureWriter();

    List<Row> rows = new ArrayList<>(records.size());
    List<SinkRecord> badRecords = new ArrayList<>();
    List<BadRecordException> badReasons = new ArrayList<>();
    for (SinkRecord record : records) {
      List<RecordToRowConverter> converters = w.convertersFor(record.topic());
      if (converters.isEmpty()) {
        // validate()/start() forbid this; reaching it means the config and topics disagree.
        throw new ConnectException(
            "No table mapping for topic " + record.topic() + "; add topic." + record.topic()
                + ".<keyspace>.<table>.mapping");
      }
      try {
        // All of a record's rows or none: a record half-written to its tables is hard to explain.
        List<Row> recordRows = new ArrayList<>(converters.size());
        for (RecordToRowConverter converter : converters) {
          recordRows.add(converter.convert(record));
        }
        rows.addAll(recordRows);
      } catch (BadRecordException e) {
        if (reporter == null) {
          throw new ConnectException(
              e.getMessage()
                  + ". Set errors.tolerance=all and errors.deadletterqueue.topic.name to send such"
                  + " records to a dead-letter topic instead of failing the task",
              e);
        }
        badRecords.add(record);
        badReasons.add(e);
      }
    }

    try {
      w.write(rows);
    } catch (WriteFailedException e) {
      throw mapWriteFailure(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      context.timeout(config.retryBackoffMs());
      throw new RetriableException("Interrupted while writing to Cassandra", e);
    }

    // NOTE: reported only once the good rows are written, so a retried batch does not send its
    // bad records to the dead-letter topic twice. Connect waits for these reports before it
    // commits offsets.
    for (int i = 0; i < badRecords.size(); i++) {
      log.warn("Cassandra sink {}: bad record sent to the error reporter: {}", sessionName,
          badReasons.get(i).getMessage());
      reporter.report(badRecords.get(i), badReasons.get(i));
    }
    if (log.isDebugEnabled()) {
      log.debug(
          "Cassandra sink {}: {} records -> {} rows written, {} bad, in {} ms",
          sessionName,
          records.size(),
          rows.size(),
          badRecords.size(),
          (System.nanoTime() - started) / 1_000_000);
    }
  }

  private CassandraWriter ensureWriter() {
    if (writer != null) {
      return writer;
    }
    try {
      writer = CassandraWriter.open(config, sessionName, version());
      log.info("Cassandra sink {}: connected", sessionName);
      return writer;
    } catch (RuntimeException e) {
      if (isTransient(e)) {
        context.timeout(config.retryBackoffMs());
        throw new RetriableException(
            "Cassandra at " + config.contactPoints() + " port " + config.port() + " not reachable: "
                + e.getMessage(),
            e);
      }
      throw new ConnectException("Cassandra sink could not start: " + e.getMessage(), e);
    }
  }

  private ConnectException mapWriteFailure(WriteFailedException e) {
    Throwable fatal = e.failures().stream().filter(f -> !isTransient(f)).findFirst().orElse(null);
    if (fatal != null) {
      return new ConnectException("Cassandra rejected a write (not retriable): " + fatal, fatal);
    }
    context.timeout(config.retryBackoffMs());
    log.warn(
        "Cassandra sink {}: {}; Connect will redeliver the batch in {} ms",
        sessionName,
        e.getMessage(),
        config.retryBackoffMs());
    return new RetriableException(e.getMessage(), e.getCause());
  }

  /**
   * Whether a driver error can heal by itself (node down, overload, timeout, connection lost), so
   * redelivering the batch later makes sense. Query errors (invalid query, syntax, unauthorized)
   * and authentication failures cannot.
   */
  static boolean isTransient(Throwable error) {
    Throwable e = CassandraWriter.unwrap(error);
    if (e instanceof AllNodesFailedException all) {
      // Also thrown at connect time when every node refused the credentials: not transient.
      return all.getAllErrors().values().stream()
          .flatMap(List::stream)
          .noneMatch(cause -> cause instanceof AuthenticationException
              || cause.getCause() instanceof AuthenticationException);
    }
    return e instanceof DriverTimeoutException
        || e instanceof WriteTimeoutException
        || e instanceof UnavailableException
        || e instanceof OverloadedException
        || e instanceof BootstrappingException
        || e instanceof ClosedConnectionException
        || e instanceof HeartbeatException
        || e instanceof BusyConnectionException
        || e instanceof ConnectionInitException
        || e instanceof NodeUnavailableException
        || e instanceof RequestThrottlingException;
  }

  @Override
  public void stop() {
    if (writer != null) {
      writer.close();
      writer = null;
    }
  }
}
