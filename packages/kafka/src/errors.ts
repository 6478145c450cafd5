/**
 * Error classification for producing. A caller (today the web tracker, later the
 * durable outbox) needs one question answered: is it worth trying this send again?
 *
 * - retriable: the broker or network was unavailable, a request or our own deadline
 *   timed out, kafkajs exhausted its retries on a transient error. The same record
 *   may succeed later.
 * - fatal: the record or the configuration is wrong (invalid event, Avro encoding,
 *   unknown topic with auto-creation off, authorization, record too large). Trying
 *   again cannot help.
 */
export type FailureKind = "retriable" | "fatal";

/** Base class of this package's errors; `retriable` answers "try again later?". */
export class TaskflowKafkaError extends Error {
  // NOTE: names are literals, not `new.target.name`: bundlers minify class names
  // (Next turned it into "b"), and these names end up in logs.
  override name = "TaskflowKafkaError";
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.retriable = options.retriable;
  }
}

/** `send()` failed; `retriable` tells transient from permanent failures. */
export class KafkaSendError extends TaskflowKafkaError {
  override name = "KafkaSendError";
}

/** The caller's deadline passed before the broker acknowledged. */
export class DeadlineExceededError extends TaskflowKafkaError {
  override name = "DeadlineExceededError";
  constructor(readonly timeoutMs: number) {
    // NOTE: kafkajs cannot cancel an in-flight request, so the record may still be
    // written after this error; consumers must tolerate duplicates (they do: the
    // event id is in every primary key downstream).
    super(`not acknowledged within ${timeoutMs} ms`, { retriable: true });
  }
}

/** The value does not match its contract (zod or Avro); never worth retrying. */
export class InvalidRecordError extends TaskflowKafkaError {
  override name = "InvalidRecordError";
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
  }
}

/** The subject has no such schema in the registry: setup has not registered it. */
export class SchemaNotRegisteredError extends TaskflowKafkaError {
  override name = "SchemaNotRegisteredError";
  constructor(subject: string, cause?: unknown) {
    super(`schema is not registered under subject "${subject}" (run the setup script)`, { retriable: false, cause });
  }
}

// kafkajs wraps errors as they climb through its nested retriers:
// KafkaJSNumberOfRetriesExceeded / KafkaJSNonRetriableError { cause: original }.
const TRANSIENT_WRAPPERS = new Set(["KafkaJSNumberOfRetriesExceeded", "KafkaJSLockTimeout"]);

/**
 * Classifies any error thrown while connecting or producing.
 * TRICKY: kafkajs marks an error that exhausted its retries as non-retriable
 * (`KafkaJSNumberOfRetriesExceeded`, or a `KafkaJSNonRetriableError` wrapping it in an
 * outer retrier), although the cause was transient. For our caller that is still
 * "try later", so the chain is walked to the original cause.
 */
export function classifyError(error: unknown): FailureKind {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (TRANSIENT_WRAPPERS.has(current.name)) return "retriable";
    const cause: unknown = current.cause;
    if (cause instanceof Error && cause !== current) {
      current = cause;
      continue;
    }
    return (current as { retriable?: unknown }).retriable === true ? "retriable" : "fatal";
  }
  return "fatal";
}

export function isRetriable(error: unknown): boolean {
  return classifyError(error) === "retriable";
}

/** Races `promise` against a timer; the timer never keeps the process alive. */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(timeoutMs)), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
