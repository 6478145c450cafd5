import type { InteractionEvent } from "@taskflow/events";
import { silentLogger, type EmitAck } from "@taskflow/kafka";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resetFakeRequest } from "../testing/fake-request";
import { installTrackingService } from "./server";
import { newCorrelationId, recordInteraction, trackInteraction } from "./track-interaction";
import { TrackingService } from "./tracking-service";

vi.mock("next/server", async () => (await import("../testing/fake-request")).nextServerModule);
vi.mock("../log", async () => ({ log: (await import("@taskflow/kafka")).silentLogger }));

async function trackingWith(emit: (event: InteractionEvent, options?: { timeoutMs?: number }) => Promise<EmitAck>) {
  const emitter = { emit: vi.fn(emit) };
  const service = new TrackingService({ connect: async () => ({ emitter, close: async () => undefined }), logger: silentLogger });
  service.start();
  await vi.waitFor(() => expect(service.status).toBe("ready"));
  installTrackingService(service);
  return emitter;
}

const acked = async (event: InteractionEvent): Promise<EmitAck> => ({ eventId: event.id, topic: "taskflow-interactions", partition: 0, offset: "1" });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

afterEach(() => {
  installTrackingService(undefined);
  resetFakeRequest();
});

describe("trackInteraction (page views: waits for the ack)", () => {
  it("emits the interaction with a fresh event id, the time, and the call's correlation id, within the deadline", async () => {
    const emitter = await trackingWith(acked);
    const correlationId = newCorrelationId();
    const result = await trackInteraction({ action: "view", who: "anonymous", what: "/about", correlationId });

    expect(result).toEqual({ eventId: expect.stringMatching(UUID), delivered: true });
    const [event, options] = emitter.emit.mock.calls[0]!;
    expect(event).toEqual({ id: result.eventId, action: "view", who: "anonymous", what: "/about", correlationId, time: expect.any(Date) });
    expect(correlationId).toMatch(UUID);
    expect(options).toEqual({ timeoutMs: 1000 });
  });

  it("answers not delivered, without throwing, when tracking was never started", async () => {
    await expect(trackInteraction({ action: "view", who: "anonymous", what: "/", correlationId: newCorrelationId() })).resolves.toMatchObject({
      delivered: false,
    });
  });
});

describe("recordInteraction (user actions: durable, never waits for Kafka)", () => {
  it("answers once the event is durable, even when Kafka never answers", async () => {
    await trackingWith(() => new Promise<EmitAck>(() => undefined));
    const correlationId = newCorrelationId();
    const eventId = await recordInteraction({ action: "create", who: "ada@example.com", what: "Buy milk", correlationId });
    expect(eventId).toMatch(UUID);
  });

  it("hands the event, stamped when the action ran, to the tracking service without a wait for the ack", async () => {
    const emitter = await trackingWith(acked);
    const before = Date.now();
    const correlationId = newCorrelationId();
    const eventId = await recordInteraction({ action: "delete", who: "ada@example.com", what: "old", correlationId });
    await vi.waitFor(() => expect(emitter.emit).toHaveBeenCalled());
    const [event] = emitter.emit.mock.calls[0]!;
    expect(event).toMatchObject({ id: eventId, action: "delete", who: "ada@example.com", what: "old", correlationId });
    expect(event.time.getTime()).toBeGreaterThanOrEqual(before);
  });

  it("swallows a failing tracking service: the user's action is unaffected", async () => {
    installTrackingService({
      track: async () => {
        throw new Error("outbox full");
      },
    } as unknown as TrackingService);
    await expect(recordInteraction({ action: "login", who: "a@example.com", what: "login", correlationId: newCorrelationId() })).resolves.toMatch(UUID);
  });
});
