/**
 * Benchmark: how long from a page view in a real browser until its row is
 * queryable in Cassandra (browser → server action → Kafka → Connect → Cassandra).
 * Also the producer-only leg (emit → row), to show where the time goes.
 *
 * Needs the stack up and bootstrapped and a built web app (npm run build).
 * Starts its own `next start` on BENCH_PORT (default 3101) and stops it.
 * Usage: npm run bench   (writes bench/results/page-view-to-row.json)
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "@playwright/test";
import cassandra from "cassandra-driver";
import { topicByKey, type InteractionEvent } from "@taskflow/events";
import { createProducer, createSchemaRegistry, InteractionEmitter, silentLogger } from "@taskflow/kafka";
import { percentile, summarize } from "./stats.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const PORT = Number(process.env.BENCH_PORT ?? 3101);
const POLL_MS = 5;

async function waitForRow(db: cassandra.Client, id: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await db.execute("SELECT id FROM taskflow.interactions WHERE id = ?", [id], { prepare: true });
    if (result.rowLength > 0) return performance.now();
    if (Date.now() > deadline) throw new Error(`row ${id} not in Cassandra after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function startWebServer(): Promise<() => void> {
  // NOTE: spawn's binary path resolves against the new cwd, hence the absolute path.
  // Its own outbox folder: a web server started by `npm start` may hold the default one.
  const server = spawn(resolve("node_modules/.bin/next"), ["start", "-H", "127.0.0.1", "-p", String(PORT)], {
    cwd: "apps/web",
    stdio: "ignore",
    env: { ...process.env, TRACKING_OUTBOX_DIR: mkdtempSync(join(tmpdir(), "taskflow-bench-web-outbox-")) },
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${PORT}/api/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("web server did not become healthy");
    await new Promise((r) => setTimeout(r, 250));
  }
  return () => server.kill("SIGTERM");
}

async function browserRounds(db: cassandra.Client): Promise<{ toAck: number[]; toRow: number[] }> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${PORT}/`);
  const marker = page.getByTestId("page-view-tracker");
  await marker.and(page.locator('[data-last-path="/"]')).waitFor({ state: "attached" });
  const toAck: number[] = [];
  const toRow: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const target = i % 2 === 0 ? "/about" : "/";
    // The main navigation's links: "About", and the brand link home.
    const nav = page.getByRole("navigation", { name: "Main" });
    const link = target === "/about" ? nav.getByRole("link", { name: "About", exact: true }) : nav.locator("a.brand");
    const started = performance.now();
    await link.click();
    await page.locator(`[data-testid="page-view-tracker"][data-last-path="${target}"]`).waitFor({ state: "attached" });
    const acked = performance.now();
    const id = (await marker.getAttribute("data-last-event-id"))!;
    const landed = await waitForRow(db, id);
    toAck.push(acked - started);
    toRow.push(landed - started);
  }
  await browser.close();
  return { toAck, toRow };
}

async function emitterRounds(db: cassandra.Client): Promise<number[]> {
  const topic = topicByKey("interactions");
  const producer = await createProducer({ clientId: "bench", brokers: ["127.0.0.1:9092"], logger: silentLogger });
  const registry = createSchemaRegistry({ url: "http://127.0.0.1:8081/apis/ccompat/v7" });
  const emitter = await InteractionEmitter.create({ producer, registry, topic, logger: silentLogger });
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const event: InteractionEvent = { id: randomUUID(), action: "view", who: "bench", what: "/bench", time: new Date() };
    const started = performance.now();
    await emitter.emit(event, { timeoutMs: 10_000 });
    samples.push((await waitForRow(db, event.id)) - started);
  }
  await producer.disconnect();
  return samples;
}

async function main(): Promise<void> {
  const db = new cassandra.Client({ contactPoints: ["127.0.0.1"], localDataCenter: "datacenter1" });
  await db.connect();
  const stopServer = await startWebServer();
  try {
    const browser = await browserRounds(db);
    const emitter = await emitterRounds(db);
    const result = {
      benchmark: "page-view-to-row",
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      rounds: ROUNDS,
      pollIntervalMs: POLL_MS,
      browserClickToServerAckMs: summarize(browser.toAck),
      browserClickToCassandraRowMs: summarize(browser.toRow),
      emitToCassandraRowMs: summarize(emitter),
    };
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/page-view-to-row.json", `${JSON.stringify(result, null, 2)}\n`);
    console.log(`page view → row (browser click to row queryable), ${ROUNDS} rounds:`);
    console.log(`  click → server action acked by Kafka: p50 ${percentile(browser.toAck, 50).toFixed(1)} ms`);
    console.log(`  click → Cassandra row:                p50 ${percentile(browser.toRow, 50).toFixed(1)} ms, p99 ${percentile(browser.toRow, 99).toFixed(1)} ms`);
    console.log(`  emit → Cassandra row (no browser):    p50 ${percentile(emitter, 50).toFixed(1)} ms, p99 ${percentile(emitter, 99).toFixed(1)} ms`);
    console.log("written to bench/results/page-view-to-row.json");
  } finally {
    stopServer();
    await db.shutdown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
