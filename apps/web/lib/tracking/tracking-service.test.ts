import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InteractionEvent } from "@taskflow/events";
import { DeadlineExceededError, FileOutbox, KafkaSendError, MemoryOutbox, SchemaNotRegisteredError, type EmitAck } from "@taskflow/kafka";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TrackingService, type TrackingConnection } from "./tracking-service";

let sequence = 0;
function newEvent(what = "/"): InteractionEvent {
  sequence++;
  return { id: `3d8d2a57-1f43-4b4f-8f0e-${String(sequence).padStart(12, "0")}`, action: "view", who: "anonymous", what, time: new Date() };
}

function recordingLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

/** A fake Kafka: `emit` and `emitBatch` record what reached the "broker"; `down` makes both fail. */
function fakeKafka() {
  const kafka = {
    down: false,
    /** Event ids in the order the broker acknowledged them. */
    acked: [] as string[],
    emit: vi.fn(async (event: InteractionEvent): Promise<EmitAck> => {
      if (kafka.down) throw new KafkaSendError("send to taskflow-interactions failed", { retriable: true });
      kafka.acked.push(event.id);
      return { eventId: event.id, topic: "taskflow-interactions", partition: 1, offset: String(kafka.acked.length - 1) };
    }),
    emitBatch: vi.fn(async (events: readonly InteractionEvent[]) => {
      if (kafka.down) throw new KafkaSendError("send to taskflow-interactions failed", { retriable: true });
      kafka.acked.push(...events.map((e) => e.id));
    }),
    close: vi.fn(async () => undefined),
    connection(): TrackingConnection {
      return { emitter: { emit: kafka.emit, emitBatch: kafka.emitBatch }, close: kafka.close };
    },
  };
  return kafka;
}

const services: TrackingService[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function startService(options: ConstructorParameters<typeof TrackingService>[0]): TrackingService {
  const service = new TrackingService({ relay: { idleMs: 20, backoff: { initialMs: 10, maxMs: 20 } }, ...options });
  services.push(service);
  service.start();
  return service;
}

async function readyService(kafka: ReturnType<typeof fakeKafka>, options: Partial<ConstructorParameters<typeof TrackingService>[0]> = {}) {
  const service = startService({ connect: async () => kafka.connection(), logger: recordingLogger(), ...options });
  await vi.waitFor(() => expect(service.status).toBe("ready"));
  return service;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tracking-test-"));
  dirs.push(dir);
  return dir;
}

describe("TrackingService", () => {
  it("keeps retrying the connection in the background with backoff, then becomes ready", async () => {
    const logger = recordingLogger();
    const kafka = fakeKafka();
    const connect = vi
      .fn<() => Promise<TrackingConnection>>()
      .mockRejectedValueOnce(new Error("ECONNREFUSED"))
      .mockRejectedValueOnce(new SchemaNotRegisteredError("taskflow-interactions-value"))
      .mockResolvedValue(kafka.connection());
    const service = startService({ connect, logger, retry: { initialDelayMs: 5, maxDelayMs: 10 } });
    service.start(); // idempotent
    expect(service.status).toBe("connecting");
    await vi.waitFor(() => expect(service.status).toBe("ready"));

    expect(connect).toHaveBeenCalledTimes(3);
    expect(logger.error).toHaveBeenCalledWith("tracking not ready, will retry", expect.objectContaining({ attempt: 2 }));
  });

  it("healthy: sends directly, answers on the ack, and the relay passes over the outbox copy", async () => {
    const kafka = fakeKafka();
    const logger = recordingLogger();
    const service = await readyService(kafka, { logger });
    const event = newEvent();

    await expect(service.track(event, { timeoutMs: 100 })).resolves.toEqual({ delivered: true, partition: 1, offset: "0" });
    expect(kafka.emit).toHaveBeenCalledWith(event, { timeoutMs: 100 });
    expect(logger.info).toHaveBeenCalledWith("interaction sent", expect.objectContaining({ eventId: event.id, offset: "0" }));
    await vi.waitFor(() => expect(service.outboxDepth.records).toBe(0));
    expect(kafka.emitBatch).not.toHaveBeenCalled();
    expect(kafka.acked).toEqual([event.id]);
  });

  it("not connected: answers queued at once, and the relay delivers once Kafka is reachable", async () => {
    const kafka = fakeKafka();
    let reachable = false;
    const service = startService({
      connect: async () => {
        if (!reachable) throw new KafkaSendError("cannot connect to Kafka", { retriable: true });
        return kafka.connection();
      },
      logger: recordingLogger(),
      retry: { initialDelayMs: 10, maxDelayMs: 10 },
    });
    const events = [newEvent("/a"), newEvent("/b")];
    for (const event of events) await expect(service.track(event, { timeoutMs: 1000 })).resolves.toEqual({ delivered: false, queued: true, reason: "not-connected" });
    expect(service.outboxDepth.records).toBe(2);
    expect(kafka.emit).not.toHaveBeenCalled();

    reachable = true;
    await vi.waitFor(() => expect(kafka.acked).toEqual(events.map((e) => e.id)));
    expect(kafka.emitBatch).toHaveBeenCalledTimes(1);
    const [relayed] = kafka.emitBatch.mock.calls[0]!;
    expect(relayed[0]).toEqual({ ...events[0], correlationId: null });
    await vi.waitFor(() => expect(service.degraded).toBe(false));
    expect(service.outboxDepth.records).toBe(0);
  });

  it("a failed send queues the event, degrades (later events do not wait for Kafka), and recovers", async () => {
    const kafka = fakeKafka();
    const logger = recordingLogger();
    const service = await readyService(kafka, { logger });
    kafka.down = true;

    const first = newEvent();
    await expect(service.track(first, { timeoutMs: 1000 })).resolves.toEqual({ delivered: false, queued: true, reason: "retriable" });
    expect(service.degraded).toBe(true);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining("queued in the outbox"), expect.objectContaining({ eventId: first.id }));

    const second = newEvent();
    await expect(service.track(second, { timeoutMs: 1000 })).resolves.toEqual({ delivered: false, queued: true, reason: "degraded" });
    expect(kafka.emit).toHaveBeenCalledTimes(1); // the second one did not try Kafka

    kafka.down = false;
    await vi.waitFor(() => expect(service.degraded).toBe(false));
    expect(kafka.acked).toEqual([first.id, second.id]);
    const third = newEvent();
    await expect(service.track(third, { timeoutMs: 1000 })).resolves.toMatchObject({ delivered: true });
  });

  it("releases callers waiting on an ack as soon as another send fails", async () => {
    const kafka = fakeKafka();
    const service = await readyService(kafka);
    let failHung!: (error: unknown) => void;
    kafka.emit.mockImplementationOnce(() => new Promise((_, reject) => (failHung = reject)));
    kafka.emit.mockImplementationOnce(async () => {
      throw new KafkaSendError("send to taskflow-interactions failed", { retriable: true });
    });

    const hung = service.track(newEvent(), { timeoutMs: 60_000 });
    await expect(service.track(newEvent(), { timeoutMs: 60_000 })).resolves.toMatchObject({ queued: true, reason: "retriable" });
    await expect(hung).resolves.toEqual({ delivered: false, queued: true, reason: "degraded" });
    failHung(new DeadlineExceededError(60_000));
  });

  it("reports a missed deadline as retriable and lets the relay send the event", async () => {
    const kafka = fakeKafka();
    const service = await readyService(kafka);
    kafka.emit.mockImplementationOnce(async () => {
      throw new DeadlineExceededError(50);
    });
    const event = newEvent();
    await expect(service.track(event, { timeoutMs: 50 })).resolves.toEqual({ delivered: false, queued: true, reason: "retriable" });
    await vi.waitFor(() => expect(kafka.acked).toEqual([event.id]));
    expect(kafka.emitBatch).toHaveBeenCalledTimes(1);
  });

  it("with timeoutMs 0 it does not wait for Kafka: queued once durable, delivered by the relay", async () => {
    const kafka = fakeKafka();
    const service = await readyService(kafka);
    const event = newEvent();
    await expect(service.track(event, { timeoutMs: 0 })).resolves.toEqual({ delivered: false, queued: true, reason: "not-awaited" });
    expect(kafka.emit).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(kafka.acked).toEqual([event.id]));
  });

  it("keeps queued events across a restart of the server (file outbox) and delivers them after it", async () => {
    const dir = await tempDir();
    const down = startService({
      connect: () => Promise.reject(new KafkaSendError("cannot connect to Kafka", { retriable: true })),
      logger: recordingLogger(),
      outbox: await FileOutbox.open({ dir }),
    });
    const events = [newEvent("/1"), newEvent("/2"), newEvent("/3")];
    for (const event of events) await expect(down.track(event, { timeoutMs: 1000 })).resolves.toMatchObject({ queued: true });
    await down.stop();

    const kafka = fakeKafka();
    const restarted = startService({ connect: async () => kafka.connection(), logger: recordingLogger(), outbox: await FileOutbox.open({ dir }) });
    expect(restarted.outboxDepth.records).toBe(3);
    expect(restarted.degraded).toBe(true); // the backlog goes first
    await vi.waitFor(() => expect(kafka.acked).toEqual(events.map((e) => e.id)));
    await vi.waitFor(() => expect(restarted.degraded).toBe(false));
    expect(restarted.outboxDepth.records).toBe(0);
  });

  it("loses an event only when the outbox refuses it, with one error line carrying the whole event", async () => {
    const logger = recordingLogger();
    const service = startService({ connect: () => new Promise(() => undefined), logger, outbox: new MemoryOutbox({ maxRecords: 1 }) });
    await expect(service.track(newEvent(), { timeoutMs: 100 })).resolves.toMatchObject({ queued: true });
    const event = newEvent("/full");
    await expect(service.track(event, { timeoutMs: 100 })).resolves.toEqual({ delivered: false, queued: false, reason: "outbox-full" });
    expect(logger.error).toHaveBeenCalledWith(
      "interaction lost: not delivered and not stored",
      expect.objectContaining({ eventId: event.id, reason: "outbox-full", event: expect.objectContaining({ id: event.id, what: "/full" }) }),
    );
  });

  it("still answers delivered when Kafka acknowledges although the outbox is full", async () => {
    const kafka = fakeKafka();
    const outbox = new MemoryOutbox({ maxRecords: 0 });
    const service = await readyService(kafka, { outbox });
    await expect(service.track(newEvent(), { timeoutMs: 100 })).resolves.toMatchObject({ delivered: true });
  });

  it("refuses an invalid event without storing or sending it", async () => {
    const kafka = fakeKafka();
    const logger = recordingLogger();
    const service = await readyService(kafka, { logger });
    await expect(service.track({ ...newEvent(), id: "not-a-uuid" }, { timeoutMs: 100 })).resolves.toEqual({ delivered: false, queued: false, reason: "invalid" });
    expect(kafka.emit).not.toHaveBeenCalled();
    expect(service.outboxDepth.records).toBe(0);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining("refused"), expect.objectContaining({ eventId: "not-a-uuid" }));
  });

  it("stop() ends retries and relaying, closes the outbox and the connection once", async () => {
    const kafka = fakeKafka();
    const dir = await tempDir();
    const service = await readyService(kafka, { outbox: await FileOutbox.open({ dir }) });
    await service.stop();
    await service.stop();
    expect(kafka.close).toHaveBeenCalledTimes(1);
    await expect(service.track(newEvent(), { timeoutMs: 100 })).resolves.toEqual({ delivered: false, queued: false, reason: "stopped" });
    // The directory is free again.
    await (await FileOutbox.open({ dir })).close();

    const neverUp = startService({
      connect: () => Promise.reject(new Error("down")),
      logger: recordingLogger(),
      retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    await vi.waitFor(() => expect(neverUp.status).toBe("connecting"));
    await neverUp.stop(); // wakes the 60 s backoff instead of waiting it out
    expect(neverUp.status).toBe("stopped");
  });
});
