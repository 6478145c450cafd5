import type { InteractionEvent } from "@taskflow/events";
import { DeadlineExceededError, InvalidRecordError, SchemaNotRegisteredError, type EmitAck } from "@taskflow/kafka";
import { describe, expect, it, vi } from "vitest";
import { TrackingService, type TrackingConnection } from "./tracking-service";

const event: InteractionEvent = {
  id: "3d8d2a57-1f43-4b4f-8f0e-7a4c9b1d2e3f",
  action: "view",
  who: "anonymous",
  what: "/",
  time: new Date(),
};

function recordingLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

function connection(emit: () => Promise<EmitAck>): TrackingConnection & { close: ReturnType<typeof vi.fn> } {
  return { emitter: { emit: vi.fn(emit) }, close: vi.fn(async () => undefined) };
}

const ack = async (): Promise<EmitAck> => ({ eventId: event.id, topic: "taskflow-interactions", partition: 1, offset: "7" });

describe("TrackingService", () => {
  it("keeps retrying the connection in the background with backoff, then becomes ready", async () => {
    const logger = recordingLogger();
    const connect = vi
      .fn<() => Promise<TrackingConnection>>()
      .mockRejectedValueOnce(new Error("ECONNREFUSED"))
      .mockRejectedValueOnce(new SchemaNotRegisteredError("taskflow-interactions-value"))
      .mockResolvedValue(connection(ack));
    const service = new TrackingService({ connect, logger, retry: { initialDelayMs: 5, maxDelayMs: 10 } });

    service.start();
    service.start(); // idempotent
    expect(service.status).toBe("connecting");
    await vi.waitFor(() => expect(service.status).toBe("ready"));

    expect(connect).toHaveBeenCalledTimes(3);
    expect(logger.error).toHaveBeenCalledWith("tracking not ready, will retry", expect.objectContaining({ attempt: 2 }));
    await expect(service.track(event, { timeoutMs: 100 })).resolves.toEqual({ delivered: true, partition: 1, offset: "7" });
    expect(logger.info).toHaveBeenCalledWith("interaction sent", expect.objectContaining({ eventId: event.id, offset: "7" }));
  });

  it("fails fast while not connected, logging the event id", async () => {
    const logger = recordingLogger();
    const service = new TrackingService({ connect: () => new Promise(() => undefined), logger });
    service.start();
    await expect(service.track(event, { timeoutMs: 1000 })).resolves.toEqual({ delivered: false, reason: "not-connected" });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining("not connected"), expect.objectContaining({ eventId: event.id }));
  });

  it.each([
    ["retriable", new DeadlineExceededError(100), "warn"],
    ["fatal", new InvalidRecordError("bad"), "error"],
  ] as const)("reports a %s send failure with the event id", async (reason, failure, level) => {
    const logger = recordingLogger();
    const service = new TrackingService({ connect: async () => connection(() => Promise.reject(failure)), logger });
    service.start();
    await vi.waitFor(() => expect(service.status).toBe("ready"));
    await expect(service.track(event, { timeoutMs: 100 })).resolves.toEqual({ delivered: false, reason });
    expect(logger[level]).toHaveBeenCalledWith("interaction not sent", expect.objectContaining({ eventId: event.id, error: failure }));
  });

  it("stop() ends the retries and closes the connection once", async () => {
    const open = connection(ack);
    const service = new TrackingService({ connect: async () => open, logger: recordingLogger() });
    service.start();
    await vi.waitFor(() => expect(service.status).toBe("ready"));
    await service.stop();
    await service.stop();
    expect(open.close).toHaveBeenCalledTimes(1);
    await expect(service.track(event, { timeoutMs: 100 })).resolves.toMatchObject({ delivered: false });

    const neverUp = new TrackingService({ connect: () => Promise.reject(new Error("down")), logger: recordingLogger(), retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    neverUp.start();
    await vi.waitFor(() => expect(neverUp.status).toBe("connecting"));
    await neverUp.stop(); // wakes the 60 s backoff instead of waiting it out
    expect(neverUp.status).toBe("stopped");
  });
});
