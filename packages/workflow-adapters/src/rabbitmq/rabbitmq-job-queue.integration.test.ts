import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { silentLogger } from "@taskflow/kafka";
import type { NodeJob } from "@taskflow/workflow";
import { connect } from "amqplib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RABBITMQ_URL, rabbitFixture, readyCount, testJob, waitFor, type RabbitFixture } from "./integration-test-support.ts";
import { RabbitMqJobQueue, type RabbitMqJobDelivery } from "./rabbitmq-job-queue.ts";

/**
 * RabbitMqJobQueue against the real broker: two workers share a queue and each job is
 * handled once; a job is acknowledged only after its handler's effect (a worker that
 * loses its connection, or is SIGKILLed, mid-handler gives the job to the other); the
 * same job published twice is delivered twice; stop() drains. A queue of its own per test.
 */
let rabbit: RabbitFixture;

beforeEach(async () => {
  rabbit = await rabbitFixture();
});

afterEach(async () => {
  await rabbit.close();
});

describe("RabbitMqJobQueue", () => {
  it("shares 100 jobs between two workers on one queue, each handled exactly once", async () => {
    const queue = rabbit.newQueueName();
    const handled = new Map<string, string[]>();
    const handle = (worker: string) => async (job: NodeJob) => {
      handled.set(job.nodeId, [...(handled.get(job.nodeId) ?? []), worker]);
      // A little work, so both workers' prefetch windows fill.
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const first = await rabbit.newJobQueue(queue, { prefetch: 5 });
    const second = await rabbit.newJobQueue(queue, { prefetch: 5 });
    await first.consume(handle("first"));
    await second.consume(handle("second"));

    const runIds = Array.from({ length: 10 }, () => `run-${randomUUID()}`);
    await first.publish(runIds.flatMap((runId, run) => Array.from({ length: 10 }, (_, index) => testJob(runId, `node-${run}-${index}`))));

    await waitFor("100 jobs handled", () => handled.size === 100);
    await first.stop();
    await second.stop();
    expect([...handled.values()].every((workers) => workers.length === 1)).toBe(true);
    const workersUsed = new Set([...handled.values()].flat());
    expect(workersUsed).toEqual(new Set(["first", "second"]));
    expect(await readyCount(rabbit.channel, queue)).toBe(0);
  });

  it("delivers a job published twice twice (the transport does not deduplicate; the engine must)", async () => {
    const queue = rabbit.newQueueName();
    const jobQueue = await rabbit.newJobQueue(queue);
    const received: NodeJob[] = [];
    await jobQueue.consume(async (job) => void received.push(job));
    const job = testJob(`run-${randomUUID()}`, "join-input");
    await jobQueue.publish([job]);
    await jobQueue.publish([job]);
    await waitFor("both copies handled", () => received.length === 2);
    expect(received).toEqual([job, job]);
  });

  it("acknowledges only after the handler resolved: a worker whose connection closes mid-handler gives the job to the other", async () => {
    const queue = rabbit.newQueueName();
    // The dying worker runs on a connection the test owns, so the test can cut it.
    const doomedConnection = await connect(RABBITMQ_URL);
    doomedConnection.on("error", () => undefined);
    const lost: Error[] = [];
    const doomed = await RabbitMqJobQueue.create({ connection: doomedConnection, queue, logger: silentLogger, onConnectionLost: (error) => lost.push(error) });
    let releaseDoomed: () => void = () => undefined;
    const doomedHandled: string[] = [];
    await doomed.consume(async (job) => {
      doomedHandled.push(job.nodeId);
      await new Promise<void>((resolve) => (releaseDoomed = resolve));
    });
    const job = testJob(`run-${randomUUID()}`, "charge-card");
    await doomed.publish([job]);
    await waitFor("the doomed worker to hold the job", () => doomedHandled.length === 1);

    const survivorHandled: { job: NodeJob; delivery: RabbitMqJobDelivery }[] = [];
    const survivor = await rabbit.newJobQueue(queue);
    await survivor.consume(async (received, delivery) => void survivorHandled.push({ job: received, delivery }));
    // Held unacknowledged by the doomed worker: neither ready in the queue nor given to the survivor.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(survivorHandled).toEqual([]);
    expect(await readyCount(rabbit.channel, queue)).toBe(0);

    await doomedConnection.close();
    await waitFor("the survivor to get the job", () => survivorHandled.length === 1);
    expect(survivorHandled[0]!.job).toEqual(job);
    expect(survivorHandled[0]!.delivery).toMatchObject({ redelivered: true, delivery: 1 });
    expect(lost).toHaveLength(1);
    await expect(doomed.publish([job])).rejects.toThrow(/lost its connection/);
    // The doomed handler finishing late acks nothing (its channel is gone) and throws nothing.
    releaseDoomed();
    await doomed.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(survivorHandled).toHaveLength(1);
  });

  it("returns the jobs of a SIGKILLed worker process to the queue", async () => {
    const queue = rabbit.newQueueName();
    const setup = await rabbit.newJobQueue(queue); // declares the queue before the process starts
    const child = startStuckConsumer(queue);
    try {
      await waitFor("the worker process to consume", () => child.output.includes("consuming"), 30_000);
      const job = testJob(`run-${randomUUID()}`, "provision-account");
      await setup.publish([job]);
      await waitFor("the worker process to hold the job", () => child.output.includes("handling provision-account"));

      process.kill(-child.process.pid!, "SIGKILL");
      await waitFor("the worker process to die", () => child.process.exitCode !== null || child.process.signalCode !== null);
      const handled: { job: NodeJob; delivery: RabbitMqJobDelivery }[] = [];
      await setup.consume(async (received, delivery) => void handled.push({ job: received, delivery }));
      await waitFor("the job redelivered to the surviving worker", () => handled.length === 1);
      expect(handled[0]).toMatchObject({ job, delivery: { redelivered: true } });
    } finally {
      if (child.process.exitCode === null && child.process.signalCode === null) process.kill(-child.process.pid!, "SIGKILL");
    }
  });

  it("stop() stops intake and drains in-flight handlers, whose acks and follow-up publishes still go out", async () => {
    const queue = rabbit.newQueueName();
    const jobQueue = await rabbit.newJobQueue(queue, { prefetch: 1 });
    const runId = `run-${randomUUID()}`;
    const started: string[] = [];
    const finished: string[] = [];
    await jobQueue.consume(async (job) => {
      started.push(job.nodeId);
      await new Promise((resolve) => setTimeout(resolve, 700));
      // Like the engine: a finishing node enqueues its successor before it resolves.
      await jobQueue.publish([testJob(runId, `${job.nodeId}-next`)]);
      finished.push(job.nodeId);
    });
    await jobQueue.publish([testJob(runId, "slow"), testJob(runId, "waiting")]);
    await waitFor("the first handler to start", () => started.length === 1);

    await jobQueue.stop();
    expect(finished).toEqual(["slow"]);
    expect(started).toEqual(["slow"]);
    await jobQueue.stop(); // idempotent
    // "slow" was acknowledged; "waiting" (never started) and the follow-up wait in the queue.
    const remaining: string[] = [];
    const next = await rabbit.newJobQueue(queue);
    await next.consume(async (job) => void remaining.push(job.nodeId));
    await waitFor("the remaining jobs", () => remaining.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(remaining.sort()).toEqual(["slow-next", "waiting"]);
  });

  it("gives clear errors for a URL that does not parse and a broker that does not answer", async () => {
    const options = { logger: silentLogger, onConnectionLost: () => undefined };
    await expect(RabbitMqJobQueue.create({ ...options, url: "not a url" })).rejects.toThrow(/RabbitMQ URL does not parse/);
    await expect(RabbitMqJobQueue.create({ ...options, url: "http://127.0.0.1:5672" })).rejects.toThrow(/protocol "http:"/);
    await expect(RabbitMqJobQueue.create({ ...options, url: "amqp://guest:secret@127.0.0.1:1" })).rejects.toThrow(/could not connect to RabbitMQ at amqp:\/\/127\.0\.0\.1:1/);
    await expect(RabbitMqJobQueue.create({ ...options, url: "amqp://guest:secret@127.0.0.1:1" })).rejects.not.toThrow(/secret/);
  });
});

const fixture = fileURLToPath(new URL("./testing/stuck-consumer-process.ts", import.meta.url));

/** Starts the fixture in a process group of its own (so SIGKILL reaches node, not a wrapper). */
function startStuckConsumer(queue: string): { process: ChildProcess; readonly output: string } {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    env: { ...process.env, RABBITMQ_URL, JOBS_QUEUE: queue },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return {
    process: child,
    get output() {
      return output;
    },
  };
}
