import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type cassandra from "cassandra-driver";
import { topicByKey, type InteractionEvent } from "@taskflow/events";
import { createProducer, createSchemaRegistry, InteractionEmitter, jsonLinesLogger, silentLogger, type EmitAck, type Producer } from "@taskflow/kafka";
import { startProjector, type Projector } from "@taskflow/projector";
import { ANALYTICS_QUESTIONS, readAnalyticsQueries, substitute } from "./analytics-doc.ts";
import { eventually, services, testCassandra, testKafka } from "../support/services.ts";

/**
 * The README's "CQL analytics queries" , run as written against
 * a scripted session that went through the real pipeline: the project's emitter → Kafka →
 * Connect (per-event tables) and the projector (rollups), with a duplicate send, an event
 * produced twice by two producers, and the projector killed (SIGKILL) in the middle of its
 * backlog and replaced.
 *
 * NOTE: the session lives on a random day of 2001 with unique users and paths, so other
 * tests' events (and a projector the test script runs in the background, which joins the
 * same consumer group) cannot change the answers.
 */
const repoRoot = resolve(import.meta.dirname, "../..");
const topic = topicByKey("interactions");
const GROUP_ID = "taskflow-analytics-projector";
const queries = readAnalyticsQueries(repoRoot);

const day = new Date(Date.UTC(2001, 0, 1) + randomInt(365) * 86_400_000).toISOString().slice(0, 10);
const tag = randomUUID().slice(0, 8);
const ada = `ada-${tag}@example.com`;
const bob = `bob-${tag}@example.com`;
const loadUser = `load-${tag}@example.com`;
const page = (name: string) => `/it-${tag}/${name}`;
const at = (time: string) => new Date(`${day}T${time}Z`);
const ev = (action: InteractionEvent["action"], who: string, what: string, time: string): InteractionEvent => ({ id: randomUUID(), action, who, what, time: at(time) });

// Ada's session, 09:05–09:50, and Bob's two views outside that hour.
const login = ev("login", ada, "login", "09:05:00.000");
const viewHome = ev("view", ada, page("home"), "09:06:00.000");
/** Produced twice by two different producers (the outbox re-sending from another process). */
const viewTasks = ev("view", ada, page("tasks"), "09:10:00.000");
const create = ev("create", ada, "Write the report", "09:12:00.000");
const complete = ev("complete", ada, "Write the report", "09:20:00.000");
/** Sent twice in a row by the same emitter. */
const viewHomeAgain = ev("view", ada, page("home"), "09:30:00.000");
const viewAbout = ev("view", ada, page("about"), "09:45:00.000");
const logout = ev("logout", ada, "logout", "09:50:00.000");
const bobEarly = ev("view", bob, page("home"), "08:30:00.000");
const bobLate = ev("view", bob, page("tasks"), "10:15:00.000");
/** A backlog for the projector to be killed in: 200 + 120 + 80 views in the afternoon. */
const load = [...Array<string>(200).fill("home"), ...Array<string>(120).fill("tasks"), ...Array<string>(80).fill("about")].map((name, i) =>
  ev("view", loadUser, page(name), new Date(Date.UTC(2001, 0, 1, 14, 0, i)).toISOString().slice(11, 23)),
);

const part1 = [login, viewHome, viewTasks, create, viewHomeAgain, viewHomeAgain, bobEarly, ...load];
const part2 = [complete, viewAbout, logout, bobLate];
/** What part 1 counts to (viewHomeAgain once). */
const part1Total = part1.length - 1;
const adaNewestFirst = [logout, viewAbout, viewHomeAgain, complete, create, viewTasks, viewHome, login];

let producer: Producer;
let resender: Producer;
let emitter: InteractionEmitter;
let resendingEmitter: InteractionEmitter;
let db: cassandra.Client;
let child: ChildProcess | undefined;
let childOutput = "";
let projector: Projector | undefined;
const acks: EmitAck[] = [];

beforeAll(async () => {
  const registry = createSchemaRegistry({ url: services.registryUrl });
  producer = await createProducer({ clientId: "analytics-it", brokers: [...services.kafkaBrokers], logger: silentLogger });
  resender = await createProducer({ clientId: "analytics-it-resender", brokers: [...services.kafkaBrokers], logger: silentLogger });
  emitter = await InteractionEmitter.create({ producer, registry, topic, logger: silentLogger });
  resendingEmitter = await InteractionEmitter.create({ producer: resender, registry, topic, logger: silentLogger });
  db = await testCassandra();
});

afterAll(async () => {
  child?.kill("SIGKILL");
  await projector?.stop();
  await producer?.disconnect();
  await resender?.disconnect();
  await db?.shutdown();
});

async function emitAll(events: InteractionEvent[], via = emitter): Promise<void> {
  for (const event of events) acks.push(await via.emit(event, { timeoutMs: 10_000 }));
}

async function dayTotal(): Promise<number> {
  const result = await db.execute("SELECT SUM(events) AS events FROM taskflow.action_counts_by_day WHERE day = ?", [day], { prepare: true });
  return (result.first()?.get("events") as cassandra.types.Long | null)?.toNumber() ?? 0;
}

async function storedOffsets(): Promise<Map<number, number>> {
  const result = await db.execute("SELECT source_partition, next_offset FROM taskflow.analytics_projector_offsets WHERE topic = ?", [topic.name], { prepare: true });
  return new Map(result.rows.map((row) => [row.get("source_partition") as number, (row.get("next_offset") as cassandra.types.Long).toNumber()]));
}

/** Starts `npm start -w @taskflow/projector`'s program as a child we can SIGKILL. */
async function startChildProjector(env: Record<string, string>): Promise<ChildProcess> {
  // NOTE: node --import tsx (not the tsx CLI): the pid is the projector's own, so SIGKILL
  // kills it and leaves no orphan behind.
  const started = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: resolve(repoRoot, "apps/projector"),
    env: { ...process.env, PROJECTOR_HTTP_PORT: "0", PROJECTOR_SESSION_TIMEOUT_MS: "6000", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.stdout!.on("data", (chunk: Buffer) => (childOutput += chunk.toString("utf8")));
  started.stderr!.on("data", (chunk: Buffer) => (childOutput += chunk.toString("utf8")));
  await eventually("the child projector to join the group", async () => {
    if (started.exitCode !== null) throw new Error(`projector exited ${started.exitCode}: ${childOutput.slice(-2000)}`);
    return childOutput.includes('"msg":"projector started"') ? true : undefined;
  }, 60_000);
  return started;
}

describe("the CQL analytics queries of the README", () => {
  it("are plain query-first statements, the same for cqlsh and npm run cql", async () => {
    for (const question of ANALYTICS_QUESTIONS) {
      const { cql, shell } = queries[question];
      expect(cql.toUpperCase()).not.toContain("ALLOW FILTERING");
      expect(cql.split(";").filter((s) => s.trim())).toHaveLength(1);
      expect(shell).toBe(`npm run cql -- "${cql}"`);
    }
    // No secondary index behind any of them.
    const tables = ["interactions", "interactions_by_day", "interactions_by_user", "action_counts_by_day", "page_views_by_day"];
    const indexes = await db.execute("SELECT table_name, index_name FROM system_schema.indexes WHERE keyspace_name = 'taskflow'");
    expect(indexes.rows.filter((r) => tables.includes(r.get("table_name") as string))).toEqual([]);
  });

  it("answer exactly for a session with duplicates and a projector killed mid-backlog", async () => {
    // 1. Part 1 goes in while no projector of ours runs: the child finds it as a backlog.
    const admin = testKafka("analytics-it-admin").admin();
    await admin.connect();
    const [group] = (await admin.describeGroups([GROUP_ID])).groups;
    const othersInGroup = group?.members.length ?? 0;
    await emitAll(part1.slice(0, 7)); // viewHomeAgain twice: the duplicate send
    // The backlog, concurrently: the broker batches it, the consumer fetches it in big batches.
    acks.push(...(await Promise.all(load.map((event) => emitter.emit(event, { timeoutMs: 20_000 })))));

    // 2. The child projector writes 2 records per logged batch; kill it half-way.
    child = await startChildProjector({ PROJECTOR_BATCH_SIZE: "2" });
    // NOTE: a tight poll, not eventually(): the backlog takes well under a second.
    let totalAtKill = 0;
    for (const deadline = Date.now() + 60_000; totalAtKill === 0; ) {
      if (Date.now() > deadline) throw new Error(`the child projector projected nothing: ${childOutput.slice(-2000)}`);
      totalAtKill = await dayTotal();
    }
    child.kill("SIGKILL");
    await new Promise((done) => child!.once("exit", done));
    child = undefined;
    const afterKill = await dayTotal();
    if (othersInGroup === 0) {
      // Only meaningful when the backlog was ours alone (no background projector in the group).
      expect(totalAtKill, "killed while the backlog was being projected").toBeLessThan(part1Total);
      expect(afterKill).toBeLessThan(part1Total);
    }

    // 3. Part 2, with the resend of an event part 1 already carried, from another producer.
    await emitAll(part2.slice(0, 2));
    await emitAll([viewTasks], resendingEmitter);
    await emitAll(part2.slice(2));

    // Kafka will deliver again what the group had not committed; the stored offset is ahead.
    // TRICKY: read just before the new projector starts, not right after the kill: a commit
    // the child sent just before it died can still reach the broker after the kill.
    const committed = await admin.fetchOffsets({ groupId: GROUP_ID, topics: [topic.name] });
    const stored = await storedOffsets();
    await admin.disconnect();
    const redelivery = committed[0]!.partitions.some(({ partition, offset }) => Number(offset) < (stored.get(partition) ?? 0));

    // 4. A new projector takes over (once the group gives up on the killed member).
    projector = await startProjector({
      brokers: [...services.kafkaBrokers],
      registryUrl: services.registryUrl,
      cassandra: services.cassandra,
      groupId: GROUP_ID,
      batchSize: 100,
      sessionTimeoutMs: 6_000,
      logger: jsonLinesLogger({ service: "projector-it" }, "error"),
    });
    const lastOffsets = new Map<number, number>();
    for (const ack of acks) lastOffsets.set(ack.partition, Math.max(lastOffsets.get(ack.partition) ?? 0, Number(ack.offset)));
    await eventually(
      "the projection to pass every record of the session",
      async () => {
        const now = await storedOffsets();
        return [...lastOffsets].every(([partition, offset]) => (now.get(partition) ?? 0) > offset) ? true : undefined;
      },
      90_000,
    );
    if (othersInGroup === 0 && redelivery) expect(projector.metrics.records.alreadyProjected).toBeGreaterThan(0);
    // Connect's tables, for (a), (d) and (e).
    await eventually("Connect to write Ada's session", async () => {
      const rows = await db.execute("SELECT id FROM taskflow.interactions_by_user WHERE who = ?", [ada], { prepare: true });
      return rows.rowLength === adaNewestFirst.length ? true : undefined;
    });

    const values = { day, who: ada, id: viewTasks.id };
    const run = (question: (typeof ANALYTICS_QUESTIONS)[number]) => db.execute(substitute(queries[question].cql, values), [], { prepare: false });
    const long = (v: unknown) => (v as cassandra.types.Long).toNumber();

    // (a) Ada's hour, newest first: one row per event, duplicates included only once.
    const slice = await run("a");
    expect(slice.rows.map((r) => ({ time: (r.get("time") as Date).toISOString(), id: r.get("id"), action: r.get("action"), who: r.get("who"), what: r.get("what") }))).toEqual(
      adaNewestFirst.map((e) => ({ time: e.time.toISOString(), id: e.id, action: e.action, who: e.who, what: e.what })),
    );

    // (b) Counts per action: every event once, whatever was sent twice or replayed.
    const counts = Object.fromEntries((await run("b")).rows.map((r) => [r.get("action"), long(r.get("events"))]));
    expect(counts).toEqual({ login: 1, create: 1, complete: 1, logout: 1, view: 4 + 2 + 400 });

    // (c) Top pages: sorted by views by the reader.
    const pages = (await run("c")).rows.map((r) => ({ path: r.get("path") as string, views: long(r.get("views")) })).sort((x, y) => y.views - x.views || x.path.localeCompare(y.path));
    expect(pages).toEqual([
      { path: page("home"), views: 200 + 2 + 1 },
      { path: page("tasks"), views: 120 + 1 + 1 },
      { path: page("about"), views: 80 + 1 },
    ]);

    // (d) Ada's recent activity, newest first.
    const activity = await run("d");
    expect(activity.rows.map((r) => `${(r.get("time") as Date).toISOString()} ${r.get("action")} ${r.get("what")}`)).toEqual(
      adaNewestFirst.map((e) => `${e.time.toISOString()} ${e.action} ${e.what}`),
    );

    // (e) The event produced twice, by id.
    const byId = (await run("e")).first();
    expect({ id: byId.get("id"), action: byId.get("action"), who: byId.get("who"), what: byId.get("what"), time: (byId.get("time") as Date).toISOString() }).toEqual({
      id: viewTasks.id,
      action: "view",
      who: ada,
      what: page("tasks"),
      time: viewTasks.time.toISOString(),
    });

    // The same five statements through the project's runner, as the README shows them.
    const script = ANALYTICS_QUESTIONS.map((q) => substitute(queries[q].cql, values)).join("\n");
    const cli = spawnSync("npm", ["run", "-s", "cql", "--", script], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout.match(/^cql> /gm)).toHaveLength(5);
    expect(cli.stdout).toMatch(/view\s*\|\s*406/);
    expect(cli.stdout).toContain(viewTasks.id);
    expect(cli.stdout).toContain("(8 rows)");
  });
});
