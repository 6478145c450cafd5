package dev.taskflow.connect.cassandra;

import org.apache.kafka.connect.errors.DataException;

/**
 * A record that cannot become a row (missing field, wrong type, null key column, tombstone). It is
 * reported to Connect's errant record reporter (the dead-letter topic) and the batch goes on; only
 * without a reporter does it fail the task.
 */
public class BadRecordException extends DataException {
  public BadRecordException(String message) {
    super(message);
  }
}
