/**
 * Benchmark: the web tier's tracking under concurrent load, into Cassandra.
 *
 * Runs the web server's own TrackingService (file outbox + Kafka producer, the
 * production wiring) in this process and drives it with CONCURRENCY callers, each
 * tracking events as a user action does (`track(event, { timeoutMs: 0 })`: answer
 * once durable). Measures
 *   - what tracking adds to a user action: track() latency, p50/p99;
 *   - sustained events/s from the web tier until the rows are in Cassandra;
 *   - action → row queryable, p50/p99, on a sample of events.
 * Events go to a synthetic day (2003-…) so counting them reads only this run's rows.
 * Usage: npm run bench (BENCH_ONLY=tracking-load), writes bench/results/tracking-load.json
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import cassandra from "cassandra-driver";
import { topicByKey, type InteractionEvent } from "@taskflow/events";
import { createProducer, createSchemaRegistry, FileOutbox, InteractionEmitter, jsonLinesLogger } from "@taskflow/kafka";
import { TrackingService } from "../apps/web/lib/tracking/tracking-service.ts";
import { percentile, summarize } from "./stats.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 30_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SAMPLE_EVERY = 100;
const BROKERS = ["127.0.0.1:9092"];
const REGISTRY = "http://127.0.0.1:8081/apis/ccompat/v7";
// NOTE: warn level: one info line per event would measure stdout, not tracking.
const logger = jsonLinesLogger({ service: "bench" }, "warn");

async function startTracking(outboxDir: string): Promise<TrackingService> {
  const outbox = await FileOutbox.open({ dir: outboxDir, logger });
  const topic = topicByKey("interactions");
  const service = new TrackingService({
    logger,
    outbox,
    connect: async () => {
      const registry = createSchemaRegistry({ url: REGISTRY, clientId: "bench" });
      const encoder = await InteractionEmitter.resolveEncoder({ registry, topic });
      const producer = await createProducer({ clientId: "bench", brokers: BROKERS, logger });
      return { emitter: new InteractionEmitter({ producer, encoder, topic, logger }), close: () => producer.disconnect() };
    },
  });
  service.start();
  const deadline = Date.now() + 30_000;
  while (service.status !== "ready") {
    if (Date.now() > deadline) throw new Error("tracking did not connect");
    await new Promise((r) => setTimeout(r, 50));
  }
  return service;
}

async function rowLanded(db: cassandra.Client, id: string, started: number): Promise<number> {
  for (;;) {
    const result = await db.execute("SELECT id FROM taskflow.interactions WHERE id = ?", [id], { prepare: true });
    if (result.rowLength > 0) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function countDay(db: cassandra.Client, day: string): Promise<number> {
  const result = await db.execute("SELECT COUNT(*) AS n FROM taskflow.interactions_by_day WHERE day = ?", [day], { prepare: true, readTimeout: 60_000 });
  return Number(result.first()?.get("n") ?? 0);
}

async function main(): Promise<void> {
  const outboxDir = mkdtempSync(join(tmpdir(), "taskflow-bench-outbox-"));
  const db = new cassandra.Client({ contactPoints: ["127.0.0.1"], localDataCenter: "datacenter1" });
  await db.connect();
  const tracking = await startTracking(outboxDir);
  // A synthetic UTC day of 2003, unique per run.
  const day = new Date(Date.UTC(2003, 0, 1) + Math.floor(Math.random() * 364) * 86_400_000).toISOString().slice(0, 10);
  const dayStart = Date.parse(`${day}T00:00:00Z`);
  const trackMs: number[] = [];
  const rowWaits: Promise<number>[] = [];
  let next = 0;
  let notDurable = 0;

  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        const n = next++;
        const event: InteractionEvent = {
          id: randomUUID(),
          action: n % 5 === 0 ? "create" : "view",
          who: `bench-${n % 50}@taskflow.test`,
          what: `/bench/${n % 20}`,
          time: new Date(dayStart + n),
          correlationId: randomUUID(),
        };
        const t0 = performance.now();
        const outcome = await tracking.track(event, { timeoutMs: 0 });
        trackMs.push(performance.now() - t0);
        if (!outcome.delivered && !outcome.queued) notDurable++;
        if (n % SAMPLE_EVERY === 0) rowWaits.push(rowLanded(db, event.id, t0));
      }
    }),
  );
  const tracked = performance.now();

  let landed = 0;
  const deadline = Date.now() + 600_000;
  while (landed < EVENTS) {
    if (Date.now() > deadline) throw new Error(`only ${landed}/${EVENTS} rows after 10 minutes`);
    await new Promise((r) => setTimeout(r, 1000));
    landed = await countDay(db, day);
  }
  const allLanded = performance.now();
  const actionToRow = await Promise.all(rowWaits);
  await tracking.stop();
  await db.shutdown();
  rmSync(outboxDir, { recursive: true, force: true });

  const seconds = (allLanded - started) / 1000;
  const result = {
    benchmark: "tracking-load",
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    events: EVENTS,
    concurrency: CONCURRENCY,
    notDurable,
    trackMs: summarize(trackMs),
    trackingEventsPerSecond: Math.round(EVENTS / ((tracked - started) / 1000)),
    sustainedIntoCassandraEventsPerSecond: Math.round(EVENTS / seconds),
    secondsUntilAllRowsLanded: Math.round(seconds * 10) / 10,
    actionToRowMs: summarize(actionToRow),
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/tracking-load.json", `${JSON.stringify(result, null, 2)}\n`);
  console.log(`tracking under load: ${EVENTS} events, ${CONCURRENCY} concurrent callers`);
  console.log(`  track() (what a user action pays): p50 ${percentile(trackMs, 50).toFixed(2)} ms, p99 ${percentile(trackMs, 99).toFixed(2)} ms`);
  console.log(`  accepted by tracking: ${result.trackingEventsPerSecond} events/s`);
  console.log(`  sustained into Cassandra: ${result.sustainedIntoCassandraEventsPerSecond} events/s (${result.secondsUntilAllRowsLanded} s for all rows)`);
  console.log(`  action → row: p50 ${result.actionToRowMs.p50} ms, p99 ${result.actionToRowMs.p99} ms (1 in ${SAMPLE_EVERY} sampled)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
