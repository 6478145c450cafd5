/**
 * Benchmark: how fast the analytics dashboard's data loads with 100k events.
 *
 * Seeds BENCH_EVENTS (default 100,000) interaction events over 14 synthetic days (a random
 * fortnight of 2002, unique users and paths per run) through the real pipeline: the
 * project's InteractionEmitter → Kafka → Connect (per-event tables) and the projector
 * (rollups, run in-process here). Waits until both have caught up, then times the
 * dashboard's own data functions (apps/web/lib/analytics/queries.ts) on a fresh client:
 * the whole page's reads, each read alone, and 8 dashboards at once.
 *
 * Needs the stack up and bootstrapped. Usage: tsx bench/analytics-dashboard.ts
 * (writes bench/results/analytics-dashboard.json).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { connectCassandra } from "@taskflow/cassandra";
import { topicByKey, type InteractionAction, type InteractionEvent } from "@taskflow/events";
import { createProducer, createSchemaRegistry, InteractionEmitter, jsonLinesLogger, silentLogger, type EmitAck, type Producer } from "@taskflow/kafka";
import { startProjector } from "@taskflow/projector";
import { daysEndingWith, readActionCounts, readDashboard, readPageViews, readRecentActivity } from "../apps/web/lib/analytics/queries.ts";
import { percentile, summarize } from "./stats.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const DAYS = 14;
const PRODUCERS = Number(process.env.BENCH_PRODUCERS ?? 8);
/** Emits in flight per producer (kafkajs sends them one request at a time per broker). */
const IN_FLIGHT = 64;
const CATCH_UP_TIMEOUT_MS = 15 * 60_000;

const services = {
  brokers: (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","),
  registryUrl: process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:8081/apis/ccompat/v7",
  cassandra: {
    contactPoints: (process.env.CASSANDRA_CONTACT_POINTS ?? "127.0.0.1").split(","),
    port: Number(process.env.CASSANDRA_PORT ?? 9042),
    localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? "datacenter1",
  },
};

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Workload {
  days: string[];
  benchUser: string;
  events: InteractionEvent[];
  /** Expected events per day (to check the projection, not only time it). */
  perDay: Map<string, number>;
}

/** 70% page views over 40 paths (a few popular ones), the rest spread over the other actions. */
function workload(): Workload {
  const rand = random(Date.now() & 0x7fffffff);
  const tag = randomUUID().slice(0, 8);
  const lastDay = new Date(Date.UTC(2002, 0, 1) + Math.floor(rand() * 330) * 86_400_000).toISOString().slice(0, 10);
  const days = daysEndingWith(lastDay, DAYS);
  const start = Date.parse(`${days[0]}T00:00:00.000Z`);
  const benchUser = `bench-${tag}@example.com`;
  const paths = Array.from({ length: 40 }, (_, i) => `/bench-${tag}/page-${i}`);
  const pathWeights = paths.map((_, i) => 1 / (i + 1));
  const weightSum = pathWeights.reduce((a, b) => a + b, 0);
  const pickPath = () => {
    let r = rand() * weightSum;
    for (let i = 0; i < paths.length; i++) if ((r -= pathWeights[i]!) <= 0) return paths[i]!;
    return paths[0]!;
  };
  const others: InteractionAction[] = ["login", "login", "logout", "register", "create", "create", "complete", "complete", "delete"];
  const perDay = new Map<string, number>();
  const events: InteractionEvent[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const action: InteractionAction = rand() < 0.7 ? "view" : others[Math.floor(rand() * others.length)]!;
    // 2% of the events are the dashboard user's: their activity partition is big, the read takes the newest 20.
    const who = rand() < 0.02 ? benchUser : rand() < 0.3 ? "anonymous" : `user-${Math.floor(rand() * 500)}-${tag}@example.com`;
    const time = new Date(start + Math.floor(rand() * DAYS * 86_400_000));
    const what = action === "view" ? pickPath() : action === "create" || action === "complete" || action === "delete" ? `Task ${Math.floor(rand() * 1000)}` : action;
    events.push({ id: randomUUID(), action, who, what, time });
    const day = time.toISOString().slice(0, 10);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  return { days, benchUser, events, perDay };
}

async function seed(events: InteractionEvent[]): Promise<{ acks: EmitAck[]; seconds: number; endedAt: number }> {
  const topic = topicByKey("interactions");
  const registry = createSchemaRegistry({ url: services.registryUrl });
  const producers: Producer[] = [];
  try {
    for (let i = 0; i < PRODUCERS; i++) producers.push(await createProducer({ clientId: `bench-analytics-${i}`, brokers: services.brokers, logger: silentLogger }));
    const emitters = await Promise.all(producers.map((producer) => InteractionEmitter.create({ producer, registry, topic, logger: silentLogger })));
    const acks: EmitAck[] = [];
    const started = performance.now();
    let next = 0;
    let lastReport = started;
    const worker = async (emitter: InteractionEmitter) => {
      for (;;) {
        const i = next++;
        if (i >= events.length) return;
        acks.push(await emitter.emit(events[i]!, { timeoutMs: 60_000 }));
        if (performance.now() - lastReport > 5_000) {
          lastReport = performance.now();
          console.log(`  seeded ${acks.length} / ${events.length}`);
        }
      }
    };
    await Promise.all(emitters.flatMap((emitter) => Array.from({ length: IN_FLIGHT }, () => worker(emitter))));
    const endedAt = performance.now();
    return { acks, seconds: (endedAt - started) / 1000, endedAt };
  } finally {
    await Promise.all(producers.map((producer) => producer.disconnect()));
  }
}

async function waitUntil(what: string, probe: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return (performance.now() - started) / 1000;
}

async function time<T>(rounds: number, run: () => Promise<T>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples;
}

async function main(): Promise<void> {
  const work = workload();
  const lastDay = work.days[work.days.length - 1]!;
  console.log(`analytics dashboard bench: ${EVENTS} events over ${work.days[0]}..${lastDay}`);

  const db = await connectCassandra(services.cassandra);
  // NOTE: another run may have picked overlapping days; its counts are the baseline.
  const dayTotal = async (day: string) => [...(await readActionCounts(db, day)).values()].reduce((a, b) => a + b, 0);
  const baseline = new Map(await Promise.all(work.days.map(async (day) => [day, await dayTotal(day)] as const)));
  const expectedTotal = (day: string) => (baseline.get(day) ?? 0) + (work.perDay.get(day) ?? 0);
  const seeded = await seed(work.events);
  console.log(`  seeded in ${seeded.seconds.toFixed(1)} s (${Math.round(EVENTS / seeded.seconds)} events/s)`);

  // NOTE: the projector starts after the seeding, so the two do not share this process's
  // CPU, and the catch-up time is the projector's own throughput on a backlog.
  const projectorStarted = performance.now();
  const projector = await startProjector({
    brokers: services.brokers,
    registryUrl: services.registryUrl,
    cassandra: services.cassandra,
    groupId: "taskflow-analytics-projector",
    batchSize: 100,
    sessionTimeoutMs: 10_000,
    logger: jsonLinesLogger({ service: "projector-bench" }, "error"),
  });
  let result;
  try {
    await waitUntil("the projector", async () => (await Promise.all(work.days.map(async (day) => (await dayTotal(day)) >= expectedTotal(day)))).every(Boolean));
    const projectorSeconds = (performance.now() - projectorStarted) / 1000;
    console.log(`  projector: the backlog projected in ${projectorSeconds.toFixed(1)} s (${Math.round(EVENTS / projectorSeconds)} events/s)`);
    // Connect writes in offset order per partition: the last event of each partition marks it done.
    const lastPerPartition = new Map<number, EmitAck>();
    for (const ack of seeded.acks) {
      const seen = lastPerPartition.get(ack.partition);
      if (!seen || Number(ack.offset) > Number(seen.offset)) lastPerPartition.set(ack.partition, ack);
    }
    const connectStarted = performance.now();
    await waitUntil("Connect", async () => {
      for (const ack of lastPerPartition.values()) {
        const found = await db.execute("SELECT id FROM taskflow.interactions WHERE id = ?", [ack.eventId], { prepare: true });
        if (found.rowLength === 0) return false;
      }
      return true;
    });
    const connectLagSeconds = (seeded.seconds * 1000 + (connectStarted - seeded.endedAt) + (performance.now() - connectStarted)) / 1000;
    console.log(`  Connect: every row written ${connectLagSeconds.toFixed(1)} s after the seeding started`);
    await projector.stop();

    // The projection must be exact before its speed means anything.
    for (const day of work.days) {
      const total = await dayTotal(day);
      if (total !== expectedTotal(day)) throw new Error(`day ${day}: projected ${total}, expected ${expectedTotal(day)}`);
    }

    // A fresh client, as a web server has: prepared statements, one connection pool.
    const reader = await connectCassandra(services.cassandra);
    try {
      const query = { day: lastDay, who: work.benchUser, days: DAYS, topPages: 10, activityLimit: 20 };
      const sample = await readDashboard(reader, query);
      await time(20, () => readDashboard(reader, query)); // warm-up: preparation, connections, caches
      const dashboard = await time(ROUNDS, () => readDashboard(reader, query));
      const actionCounts = await time(ROUNDS, () => readActionCounts(reader, lastDay));
      const pageViews = await time(ROUNDS, () => readPageViews(reader, lastDay));
      const recentActivity = await time(ROUNDS, () => readRecentActivity(reader, work.benchUser, 20));
      const anonymousActivity = await time(ROUNDS, () => readRecentActivity(reader, "anonymous", 20));
      const concurrent: number[] = [];
      for (let i = 0; i < ROUNDS / 4; i++) concurrent.push(...(await Promise.all(Array.from({ length: 8 }, () => time(1, () => readDashboard(reader, query))))).flat());

      result = {
        benchmark: "analytics-dashboard",
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
        events: EVENTS,
        days: { first: work.days[0], last: lastDay },
        eventsOnLastDay: work.perDay.get(lastDay) ?? 0,
        dashboardUserEvents: work.events.filter((e) => e.who === work.benchUser).length,
        seeding: { seconds: Math.round(seeded.seconds * 10) / 10, eventsPerSecond: Math.round(EVENTS / seeded.seconds), producers: PRODUCERS },
        projectorBacklog: { seconds: Math.round(projectorSeconds * 10) / 10, eventsPerSecond: Math.round(EVENTS / projectorSeconds), batchSize: 100 },
        connectAllRowsAfterSeedingStartedSeconds: Math.round(connectLagSeconds * 10) / 10,
        projectionExact: true,
        shape: {
          viewsPerDay: sample.viewsPerDay.length,
          actions: sample.actions.length,
          pagesViewedOnLastDay: sample.pagesViewed,
          recentActivity: sample.recentActivity.length,
          statementsPerDashboard: DAYS + 2,
        },
        rounds: ROUNDS,
        dashboardDataMs: summarize(dashboard),
        eightConcurrentDashboardsMs: summarize(concurrent),
        perQueryMs: {
          actionCountsOneDay: summarize(actionCounts),
          pageViewsOneDay: summarize(pageViews),
          recentActivityOfDashboardUser: summarize(recentActivity),
          recentActivityOfAnonymous: summarize(anonymousActivity),
        },
      };
      console.log(`  dashboard data (${DAYS + 2} statements): p50 ${percentile(dashboard, 50).toFixed(1)} ms, p99 ${percentile(dashboard, 99).toFixed(1)} ms`);
      console.log(`  8 dashboards at once:             p50 ${percentile(concurrent, 50).toFixed(1)} ms, p99 ${percentile(concurrent, 99).toFixed(1)} ms`);
    } finally {
      await reader.shutdown();
    }
  } finally {
    await projector.stop();
    await db.shutdown();
  }
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/analytics-dashboard.json", `${JSON.stringify(result, null, 2)}\n`);
  console.log("written to bench/results/analytics-dashboard.json");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
