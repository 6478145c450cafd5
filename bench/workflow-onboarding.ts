/**
 * Benchmark: workflow scheduling on the real, co-located stack (issue #4, Performance).
 *
 * Starts BENCH_WORKERS real workers (`startWorker`, in this process) on a unique consumer
 * group, a unique jobs topic (plus dead-letter and events topics; the catalog's schema
 * subjects) created here and deleted at the end, then starts BENCH_RUNS employee-onboarding
 * runs at once and waits until every run's RUN_COMPLETED has been published. Measures
 *   - node steps/s sustained: node executions completed / (first startRun → last run completed);
 *   - per-node scheduling overhead: a node's NODE_COMPLETED → each successor's NODE_STARTED,
 *     p50/p99, from the events the engine appends (their `occurredAt`, seen through the
 *     worker's event sink, no polling);
 *   - run completion time (startRun called → RUN_COMPLETED), p50/p99.
 * To say what limits it, the adapters' calls are timed by wrapping their prototypes in this
 * process (no adapter or engine code changes), and CPU of this process and the stack is read
 * from /proc.
 * Every transport (issue #6) runs the same scenarios in one run, side by side:
 *   - `burst`: BENCH_RUNS (200) runs started at once (throughput);
 *   - `paced`: BENCH_RUNS runs, BENCH_PACED_IN_FLIGHT (10) in flight at a time (sustained load);
 *   - `one-at-a-time`: 30 runs, one in flight (the uncontended hop).
 * Usage: npm run bench (BENCH_ONLY=workflow-onboarding), or `npx tsx bench/workflow-onboarding.ts`;
 * BENCH_TRANSPORTS ("kafka rabbitmq"), BENCH_SCENARIOS ("burst paced one-at-a-time"),
 * BENCH_WORKERS (1), BENCH_PARTITIONS (12, Kafka jobs topic), BENCH_CONCURRENCY
 * (partitions each Kafka worker handles in parallel; default all), BENCH_PREFETCH (RabbitMQ, 32).
 * Writes bench/results/workflow-onboarding.json.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Kafka, logLevel } from "kafkajs";
import { silentLogger } from "@taskflow/kafka";
import { WorkflowEngine, type NodeJob, type RunEvent } from "@taskflow/workflow";
import {
  CassandraRunStateStore,
  KafkaJobQueue,
  PostgresRunStateStore,
  RabbitMqJobQueue,
  RedisCoordinationStore,
  WorkflowEventPublisher,
  jobsTopology,
} from "@taskflow/workflow-adapters";
import { connect as connectAmqp } from "amqplib";
import { execFileSync } from "node:child_process";
import { createTestSchema } from "../packages/workflow-adapters/src/postgres/integration-test-support.ts";
import { startWorker, type Worker, type WorkerConfig } from "../apps/worker/src/worker.ts";
import { summarize } from "./stats.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 12);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? PARTITIONS);
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 32);
const TRANSPORTS = (process.env.BENCH_TRANSPORTS ?? "kafka rabbitmq").split(/\s+/).filter(Boolean) as Transport[];
/** Runs in flight at once (a new run starts when one completes). */
const SCENARIOS: Record<string, { runs: number; inFlight: number }> = {
  burst: { runs: RUNS, inFlight: RUNS },
  paced: { runs: RUNS, inFlight: Number(process.env.BENCH_PACED_IN_FLIGHT ?? 10) },
  "one-at-a-time": { runs: 30, inFlight: 1 },
};
const SCENARIO_NAMES = (process.env.BENCH_SCENARIOS ?? Object.keys(SCENARIOS).join(" ")).split(/\s+/).filter(Boolean);
type Transport = "kafka" | "rabbitmq";
const WARMUP_RUNS = 5;
const BROKERS = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const REGISTRY = process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:8081/apis/ccompat/v7";
const BLUEPRINT = JSON.parse(readFileSync("packages/workflow/blueprints/employee-onboarding.json", "utf8")) as {
  nodes: { id: string }[];
  edges: { source: string; target: string }[];
};
const NODES_PER_RUN = BLUEPRINT.nodes.length;
const round = (v: number) => Math.round(v * 10) / 10;

// ---- adapter call timings (prototype wrappers; the code under test is unchanged) ----
const calls = new Map<string, number[]>();
let measuring = false;
function timePrototype(proto: object, label: string, methods: string[]): void {
  const target = proto as Record<string, unknown>;
  for (const method of methods) {
    const original = target[method] as (...args: unknown[]) => Promise<unknown>;
    target[method] = async function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        if (measuring) {
          const key = `${label}.${method}`;
          const list = calls.get(key) ?? [];
          list.push(performance.now() - t0);
          calls.set(key, list);
        }
      }
    };
  }
}
timePrototype(CassandraRunStateStore.prototype, "cassandra", ["createRun", "commit", "readRun", "setStatus", "recordEffect", "setContext", "markPublished"]);
timePrototype(PostgresRunStateStore.prototype, "postgres", ["createRun", "commit", "readRun", "setStatus", "recordEffect", "setContext"]);
timePrototype(RedisCoordinationStore.prototype, "redis", ["acquireLease", "releaseLease", "claimOnce", "recordJoinArrival"]);
timePrototype(KafkaJobQueue.prototype, "kafka", ["publish"]);
timePrototype(RabbitMqJobQueue.prototype, "rabbitmq", ["publish"]);
timePrototype(WorkflowEventPublisher.prototype, "kafkaEvents", ["publish"]);
timePrototype(WorkflowEngine.prototype, "engine", ["startRun", "handleJob"]);

// Lease contention: acquireLease answering "held elsewhere" (the engine then backs off 5…200 ms).
let leaseRefusals = 0;
{
  const proto = RedisCoordinationStore.prototype as unknown as { acquireLease: (...args: unknown[]) => Promise<unknown> };
  const original = proto.acquireLease;
  proto.acquireLease = async function (this: unknown, ...args: unknown[]) {
    const lease = await original.apply(this, args);
    if (measuring && !lease) leaseRefusals++;
    return lease;
  };
}

// Job published (acked) → its handling starts: the queue's delivery latency.
const jobKey = (job: Pick<NodeJob, "runId" | "nodeId" | "attempt">) => `${job.runId}|${job.nodeId}|${job.attempt}`;
const jobPublishedAt = new Map<string, number>();
const jobDelivery: number[] = [];
for (const prototype of [KafkaJobQueue.prototype, RabbitMqJobQueue.prototype]) {
  const queueProto = prototype as unknown as { publish: (jobs: readonly NodeJob[], ...rest: unknown[]) => Promise<void> };
  const publish = queueProto.publish;
  queueProto.publish = async function (this: unknown, jobs: readonly NodeJob[], ...rest: unknown[]) {
    await publish.call(this, jobs, ...rest);
    const now = performance.now();
    for (const job of jobs) jobPublishedAt.set(jobKey(job), now);
  };
  const engineProto = WorkflowEngine.prototype as unknown as { handleJob: (job: NodeJob) => Promise<void> };
  const handleJob = engineProto.handleJob;
  engineProto.handleJob = async function (this: unknown, job: NodeJob) {
    const published = jobPublishedAt.get(jobKey(job));
    if (measuring && published !== undefined) jobDelivery.push(performance.now() - published);
    return handleJob.call(this, job);
  };
}

// ---- CPU from /proc ----
const CLK_TCK = 100;
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
  } catch {
    return undefined;
  }
}
/** CPU of a process and its direct children (PostgreSQL runs a backend process per connection). */
function processTreeCpuSeconds(pid: number): number | undefined {
  const own = processCpuSeconds(pid);
  if (own === undefined) return undefined;
  let children = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid) children += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    } catch {
      // gone meanwhile
    }
  }
  return own + children;
}
/** Pid listening on a local TCP port (the machine's own Redis/PostgreSQL/RabbitMQ have no pid file of ours). */
function listenerPid(port: number): number | undefined {
  try {
    const out = execFileSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
    const match = out.match(/pid=(\d+)/);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
function stackPids(): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const name of ["kafka", "connect", "registry", "cassandra"]) {
    const file = `.stack/run/${name}.pid`;
    if (existsSync(file)) pids[name] = Number(readFileSync(file, "utf8").trim());
  }
  for (const [name, port] of [["redis", 6379], ["postgres", 5432], ["rabbitmq", 5672]] as const) {
    const pid = listenerPid(port);
    if (pid !== undefined) pids[name] = pid;
  }
  return pids;
}
function machineCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
function cpuSnapshot(pids: Record<string, number>) {
  const perProcess: Record<string, number | undefined> = {};
  for (const [name, pid] of Object.entries(pids)) perProcess[name] = processTreeCpuSeconds(pid);
  const self = process.cpuUsage();
  return { perProcess, bench: (self.user + self.system) / 1e6, machine: machineCpu() };
}

// ---- events seen through the workers' sinks ----
interface Seen {
  type: RunEvent["type"];
  nodeId?: string;
  at: number; // occurredAt, epoch ms
}
const eventsByRun = new Map<string, Seen[]>();
const ended = new Map<string, { type: string; at: number }>();
const endWaiters = new Map<string, () => void>();
function collect(events: readonly RunEvent[]): void {
  for (const event of events) {
    const list = eventsByRun.get(event.runId) ?? [];
    list.push({ type: event.type, nodeId: event.nodeId, at: event.occurredAt.getTime() });
    eventsByRun.set(event.runId, list);
    if (event.type === "RUN_COMPLETED" || event.type === "RUN_FAILED" || event.type === "RUN_CANCELLED") {
      ended.set(event.runId, { type: event.type, at: event.occurredAt.getTime() });
      endWaiters.get(event.runId)?.();
    }
  }
}

async function runBatch(workers: Worker[], count: number, prefix: string, inFlight: number, timeoutMs: number): Promise<{ runIds: string[]; startedAt: Map<string, number>; firstStart: number }> {
  const runIds = Array.from({ length: count }, () => `${prefix}-${randomUUID()}`);
  const startedAt = new Map<string, number>();
  const firstStart = Date.now();
  let next = 0;
  const lanes = Array.from({ length: Math.min(inFlight, count) }, async () => {
    while (next < count) {
      const i = next++;
      const runId = runIds[i]!;
      const end = new Promise<void>((resolve) => endWaiters.set(runId, resolve));
      startedAt.set(runId, Date.now());
      await workers[i % workers.length]!.startRun({ blueprintId: "employee-onboarding", input: { employeeId: `bench-${i}`, name: `Bench ${i}` }, correlationId: `corr-${runId}`, runId });
      await end;
    }
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${runIds.filter((id) => ended.has(id)).length}/${count} runs ended after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.all(lanes), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return { runIds, startedAt, firstStart };
}

function resetMeasurements(): void {
  calls.clear();
  jobPublishedAt.clear();
  jobDelivery.length = 0;
  leaseRefusals = 0;
}

/** One transport's infrastructure for the bench: its workers' config, and its clean-up. */
interface BenchTransport {
  workerConfig(workerId: string): WorkerConfig;
  cleanUp(): Promise<void>;
}

async function setUpTransport(transport: Transport, suffix: string, kafka: Kafka): Promise<BenchTransport> {
  const jobsTopic = `bench-workflow-jobs-${suffix}`;
  const deadLetterTopic = `bench-workflow-jobs-dlq-${suffix}`;
  const eventsTopic = `bench-workflow-events-${suffix}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: jobsTopic, numPartitions: PARTITIONS, replicationFactor: 1 },
      { topic: deadLetterTopic, numPartitions: 1, replicationFactor: 1 },
      { topic: eventsTopic, numPartitions: 3, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
  const base = (workerId: string): WorkerConfig => ({
    workerId,
    brokers: BROKERS,
    registryUrl: REGISTRY,
    cassandra: { contactPoints: [process.env.CASSANDRA_CONTACT_POINTS ?? "127.0.0.1"], port: Number(process.env.CASSANDRA_PORT ?? 9042), localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? "datacenter1" },
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    redisKeyPrefix: `bench:workflow:${suffix}:`,
    groupId: `bench-workflow-${suffix}`,
    concurrency: CONCURRENCY,
    jobsTopic,
    deadLetterTopic,
    eventsTopic,
    logger: silentLogger,
    onEvents: collect,
  });
  const dropTopics = async () => {
    await admin.deleteTopics({ topics: [jobsTopic, deadLetterTopic, eventsTopic] }).catch(() => undefined);
    await admin.disconnect();
  };
  if (transport === "kafka") return { workerConfig: (workerId) => ({ ...base(workerId), transport: { kind: "kafka" } }), cleanUp: dropTopics };

  // RabbitMQ: its own queue (dead letters beside it) and PostgreSQL schema, deleted afterwards.
  const rabbitmqUrl = process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672";
  const topology = jobsTopology({ queue: `bench-workflow-jobs-${suffix}` });
  const schema = await createTestSchema(`bench_${suffix}`);
  return {
    workerConfig: (workerId) => ({
      ...base(workerId),
      transport: { kind: "rabbitmq", rabbitmqUrl, databaseUrl: schema.url, jobsQueue: topology.queue, prefetch: PREFETCH, poolSize: 20 },
    }),
    async cleanUp() {
      const connection = await connectAmqp(rabbitmqUrl);
      const channel = await connection.createChannel();
      for (const queue of [topology.queue, topology.deadLetterQueue]) await channel.deleteQueue(queue).catch(() => undefined);
      await channel.deleteExchange(topology.deadLetterExchange).catch(() => undefined);
      await connection.close();
      await schema.drop();
      await dropTopics();
    },
  };
}

async function runScenario(transport: Transport, scenario: string, workers: Worker[]) {
  // NOTE: shadows the module's RUNS: the figures below are this scenario's.
  const { runs: RUNS, inFlight: IN_FLIGHT } = SCENARIOS[scenario]!;
  resetMeasurements();
  const pids = stackPids();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const cpuBefore = cpuSnapshot(pids);
  measuring = true;
  loopDelay.enable();
  const t0 = performance.now();
  const { runIds, startedAt, firstStart } = await runBatch(workers, RUNS, `bench-${transport}-${scenario}`, IN_FLIGHT, 600_000);
  const wallMs = performance.now() - t0;
  loopDelay.disable();
  measuring = false;
  const cpuAfter = cpuSnapshot(pids);
  // ---- figures ----
  const failed = runIds.filter((id) => ended.get(id)?.type !== "RUN_COMPLETED");
  const lastEnd = Math.max(...runIds.map((id) => ended.get(id)!.at));
  const batchSeconds = (lastEnd - firstStart) / 1000;
  const nodeSteps = runIds.reduce((sum, id) => sum + (eventsByRun.get(id) ?? []).filter((e) => e.type === "NODE_COMPLETED").length, 0);
  const runCompletion = runIds.map((id) => ended.get(id)!.at - startedAt.get(id)!);

  const allEdges: number[] = [];
  const triggering: number[] = [];
  const completedToScheduled: number[] = [];
  const scheduledToStarted: number[] = [];
  const nodeRun: number[] = [];
  const startToFirstNode: number[] = [];
  const lastNodeToRunEnd: number[] = [];
  for (const id of runIds) {
    const events = eventsByRun.get(id) ?? [];
    const at = (type: string, nodeId: string) => events.find((e) => e.type === type && e.nodeId === nodeId)?.at;
    for (const node of BLUEPRINT.nodes) {
      const s = at("NODE_STARTED", node.id);
      const c = at("NODE_COMPLETED", node.id);
      if (s !== undefined && c !== undefined) nodeRun.push(c - s);
    }
    for (const target of BLUEPRINT.nodes) {
      const started = at("NODE_STARTED", target.id);
      const scheduled = at("NODE_SCHEDULED", target.id);
      const sources = BLUEPRINT.edges.filter((e) => e.target === target.id).map((e) => at("NODE_COMPLETED", e.source));
      if (started === undefined) continue;
      if (sources.length === 0) {
        const created = events.find((e) => e.type === "RUN_CREATED")?.at;
        if (created !== undefined) startToFirstNode.push(started - created);
        continue;
      }
      if (sources.some((c) => c === undefined)) continue;
      const done = sources as number[];
      for (const c of done) allEdges.push(started - c);
      const last = Math.max(...done);
      triggering.push(started - last);
      if (scheduled !== undefined) {
        completedToScheduled.push(scheduled - last);
        scheduledToStarted.push(started - scheduled);
      }
    }
    const sinks = BLUEPRINT.nodes.filter((n) => !BLUEPRINT.edges.some((e) => e.source === n.id));
    const lastDone = Math.max(...sinks.map((n) => at("NODE_COMPLETED", n.id) ?? Number.NaN));
    lastNodeToRunEnd.push(ended.get(id)!.at - lastDone);
  }

  const cpuSeconds = (before: number | undefined, after: number | undefined) => (before === undefined || after === undefined ? undefined : round((after - before) * 10) / 10);
  const perProcessCpu: Record<string, number | undefined> = { bench: round(cpuAfter.bench - cpuBefore.bench) };
  for (const name of Object.keys(pids)) perProcessCpu[name] = cpuSeconds(cpuBefore.perProcess[name], cpuAfter.perProcess[name]);
  const machineBusy = (cpuAfter.machine.busy - cpuBefore.machine.busy) / (cpuAfter.machine.total - cpuBefore.machine.total);
  const adapterCalls: Record<string, ReturnType<typeof summarize> & { perRun: number }> = {};
  for (const [key, samples] of [...calls].sort()) adapterCalls[key] = { ...summarize(samples), perRun: round(samples.length / RUNS) };

  const result = {
    transport,
    scenario,
    runs: RUNS,
    runsInFlight: Math.min(IN_FLIGHT, RUNS),
    runsNotCompleted: failed.length,
    nodeStepsCompleted: nodeSteps,
    batchSeconds: round(batchSeconds),
    nodeStepsPerSecond: round(nodeSteps / batchSeconds),
    runsPerSecond: round(RUNS / batchSeconds),
    schedulingOverheadMs: {
      allEdges: summarize(allEdges),
      triggeringEdges: summarize(triggering),
      completedToScheduled: summarize(completedToScheduled),
      scheduledToStarted: summarize(scheduledToStarted),
    },
    runCompletionMs: summarize(runCompletion),
    runCreatedToFirstNodeStartedMs: summarize(startToFirstNode),
    lastNodeCompletedToRunCompletedMs: summarize(lastNodeToRunEnd),
    nodeExecutionMs: summarize(nodeRun),
    jobPublishedToHandlingStartedMs: summarize(jobDelivery),
    leaseRefusals,
    adapterCallsMs: adapterCalls,
    cpu: {
      wallSeconds: round(wallMs / 1000),
      machineBusyPercent: round(machineBusy * 100),
      cpuSecondsByProcess: perProcessCpu,
    },
    benchEventLoopDelayMs: { p50: round(loopDelay.percentile(50) / 1e6), p99: round(loopDelay.percentile(99) / 1e6), max: round(loopDelay.max / 1e6) },
    note: "timestamps are the events' occurredAt (1 ms resolution), all taken in this one process; triggeringEdges counts, for the join, only the edge from its last-completing predecessor",
  };
  const o = result.schedulingOverheadMs;
  console.log(`workflow onboarding on ${transport}, ${scenario}: ${RUNS} runs (${NODES_PER_RUN} nodes each), ${WORKERS} worker(s), ${Math.min(IN_FLIGHT, RUNS)} runs in flight`);
  console.log(`  node steps/s sustained: ${result.nodeStepsPerSecond} (${nodeSteps} steps in ${result.batchSeconds} s; ${result.runsNotCompleted} runs not completed)`);
  console.log(`  scheduling overhead (NODE_COMPLETED → successor NODE_STARTED), all edges: p50 ${o.allEdges.p50} ms, p99 ${o.allEdges.p99} ms`);
  console.log(`    triggering edges only: p50 ${o.triggeringEdges.p50} ms, p99 ${o.triggeringEdges.p99} ms (completed → scheduled p50 ${o.completedToScheduled.p50} ms; scheduled → started p50 ${o.scheduledToStarted.p50} ms)`);
  console.log(`  run completion: p50 ${result.runCompletionMs.p50} ms, p99 ${result.runCompletionMs.p99} ms`);
  console.log(`  job published → handling started: p50 ${result.jobPublishedToHandlingStartedMs.p50} ms, p99 ${result.jobPublishedToHandlingStartedMs.p99} ms; lease refusals ${leaseRefusals}`);
  console.log(`  CPU: machine ${result.cpu.machineBusyPercent}% busy over ${result.cpu.wallSeconds} s; cpu-seconds ${JSON.stringify(perProcessCpu)}`);
  for (const [key, s] of Object.entries(adapterCalls)) console.log(`  ${key}: ${s.perRun}/run, p50 ${s.p50} ms, p99 ${s.p99} ms`);
  return result;
}

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: "bench-workflow", brokers: BROKERS, logLevel: logLevel.NOTHING });
  const results: Awaited<ReturnType<typeof runScenario>>[] = [];
  for (const transport of TRANSPORTS) {
    const suffix = `${transport}-${randomUUID().slice(0, 8)}`;
    const infrastructure = await setUpTransport(transport, suffix, kafka);
    const workers: Worker[] = [];
    try {
      for (let w = 0; w < WORKERS; w++) workers.push(await startWorker(infrastructure.workerConfig(`bench-${w}-${suffix}`)));
      // Warm-up (group join, prepared statements, schema ids, JIT), not measured.
      await runBatch(workers, WARMUP_RUNS, `bench-warmup-${transport}`, WARMUP_RUNS, 120_000);
      for (const scenario of SCENARIO_NAMES) results.push(await runScenario(transport, scenario, workers));
    } finally {
      await Promise.all(workers.map((worker) => worker.stop().catch(() => undefined)));
      await infrastructure.cleanUp();
    }
  }

  // Side by side: each scenario's figures per transport, and RabbitMQ relative to Kafka.
  const comparison = SCENARIO_NAMES.map((scenario) => {
    const of = (transport: Transport) => results.find((r) => r.transport === transport && r.scenario === scenario);
    const [k, r] = [of("kafka"), of("rabbitmq")];
    return {
      scenario,
      nodeStepsPerSecond: { kafka: k?.nodeStepsPerSecond, rabbitmq: r?.nodeStepsPerSecond, rabbitmqOverKafka: k && r ? Math.round((r.nodeStepsPerSecond / k.nodeStepsPerSecond) * 100) / 100 : undefined },
      overheadP50Ms: { kafka: k?.schedulingOverheadMs.allEdges.p50, rabbitmq: r?.schedulingOverheadMs.allEdges.p50 },
      overheadP99Ms: { kafka: k?.schedulingOverheadMs.allEdges.p99, rabbitmq: r?.schedulingOverheadMs.allEdges.p99 },
    };
  });
  const output = {
    benchmark: "workflow-onboarding",
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    blueprint: "employee-onboarding",
    workersPerTransport: WORKERS,
    kafka: { jobsTopicPartitions: PARTITIONS, partitionsConsumedConcurrentlyPerWorker: CONCURRENCY },
    rabbitmq: { prefetchPerWorker: PREFETCH },
    scenarios: SCENARIOS,
    comparison,
    results,
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/workflow-onboarding.json", `${JSON.stringify(output, null, 2)}\n`);
  console.log("\nside by side (RabbitMQ/PostgreSQL vs Kafka/Cassandra):");
  for (const c of comparison) {
    console.log(`  ${c.scenario}: steps/s kafka ${c.nodeStepsPerSecond.kafka} · rabbitmq ${c.nodeStepsPerSecond.rabbitmq} (×${c.nodeStepsPerSecond.rabbitmqOverKafka}); overhead p50 ${c.overheadP50Ms.kafka} · ${c.overheadP50Ms.rabbitmq} ms, p99 ${c.overheadP99Ms.kafka} · ${c.overheadP99Ms.rabbitmq} ms`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
