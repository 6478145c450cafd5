import type { RecordMetadata } from "kafkajs";
import type { SendRecord } from "./producer.ts";

/** Sends several records in one request (kafkajs `sendBatch`). */
export type SendBatch = (records: readonly SendRecord[]) => Promise<RecordMetadata[]>;

interface QueuedSend {
  record: SendRecord;
  resolve(metadata: RecordMetadata[]): void;
  reject(error: unknown): void;
}

/**
 * Group commit for a producer with one request in flight: a send made while a request
 * is in flight waits, and every send waiting when it returns goes out in the next
 * request together. So concurrent callers (the worker's partition loops, the web's
 * requests) share round trips instead of queueing behind one another, and an idle
 * producer sends at once (no linger).
 * Records keep their call order within a topic, so per-partition order is kept.
 * A failed request is retried record by record, so one bad record (an unknown topic)
 * fails only its own caller.
 */
export class SendCoalescer {
  private readonly waiting: QueuedSend[] = [];
  private inFlight = false;

  constructor(
    private readonly sendBatch: SendBatch,
    /** Most records per request; the rest wait for the next one. */
    private readonly maxRecordsPerRequest = 200,
  ) {}

  /** Resolves with the metadata of the record's topic once the broker acknowledged it. */
  send(record: SendRecord): Promise<RecordMetadata[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ record, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    this.inFlight = true;
    const batch = this.waiting.splice(0, this.maxRecordsPerRequest);
    void this.deliver(batch).finally(() => {
      this.inFlight = false;
      this.pump();
    });
  }

  private async deliver(batch: QueuedSend[]): Promise<void> {
    try {
      const metadata = await this.sendBatch(mergeByTopic(batch.map((queued) => queued.record)));
      for (const queued of batch) queued.resolve(metadata.filter((m) => m.topicName === queued.record.topic));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const queued of batch) {
        await this.sendBatch([queued.record]).then(queued.resolve, queued.reject);
      }
    }
  }
}

/** One entry per topic, messages in call order (kafkajs expects each topic once). */
export function mergeByTopic(records: readonly SendRecord[]): SendRecord[] {
  const byTopic = new Map<string, SendRecord>();
  for (const record of records) {
    const merged = byTopic.get(record.topic);
    if (merged) merged.messages.push(...record.messages);
    else byTopic.set(record.topic, { topic: record.topic, messages: [...record.messages] });
  }
  return [...byTopic.values()];
}
