import type { InteractionEvent } from "@taskflow/events";
import { KafkaSendError, silentLogger, type EmitAck } from "@taskflow/kafka";
import { afterEach, describe, expect, it, vi } from "vitest";
import { installTrackingService } from "../../tracking/server";
import { TrackingService } from "../../tracking/tracking-service";
import { trackPageView } from "./track-page-view";

/** A real TrackingService connected to a fake emitter: what the action sees in production, minus Kafka. */
async function trackingWith(emit: (event: InteractionEvent, options?: { timeoutMs?: number }) => Promise<EmitAck>) {
  const emitter = { emit: vi.fn(emit) };
  const service = new TrackingService({ connect: async () => ({ emitter, close: async () => undefined }), logger: silentLogger });
  service.start();
  await vi.waitFor(() => expect(service.status).toBe("ready"));
  installTrackingService(service);
  return emitter;
}

const acked = async (event: InteractionEvent): Promise<EmitAck> => ({ eventId: event.id, topic: "taskflow-interactions", partition: 0, offset: "1" });

afterEach(() => installTrackingService(undefined));

describe("trackPageView", () => {
  it("emits a view by anonymous of the path, keyed by a fresh UUID, within the configured deadline", async () => {
    const emitter = await trackingWith(acked);
    const before = Date.now();

    const result = await trackPageView({ path: "/about" });

    expect(result).toEqual({ ok: true, eventId: expect.stringMatching(/^[0-9a-f-]{36}$/), delivered: true });
    expect(emitter.emit).toHaveBeenCalledTimes(1);
    const [event, options] = emitter.emit.mock.calls[0]!;
    expect(event).toMatchObject({ action: "view", who: "anonymous", what: "/about" });
    expect(result.ok && event.id).toBe(result.ok && result.eventId);
    expect(event.time.getTime()).toBeGreaterThanOrEqual(before);
    expect(options).toEqual({ timeoutMs: 1000 });
  });

  it.each([
    ["a javascript: URL", "javascript:alert(1)", /must start with \//],
    ["an empty path", "", /path is required/],
    ["a 5000-character path", `/${"a".repeat(4999)}`, /at most 1024 characters/],
    ["a path with spaces", "/a b", /no spaces/],
  ])("refuses %s with a clear message and produces nothing", async (_label, path, message) => {
    const emitter = await trackingWith(acked);
    const result = await trackPageView({ path });
    expect(result).toEqual({ ok: false, error: expect.stringMatching(message) });
    expect(emitter.emit).not.toHaveBeenCalled();
  });

  it("refuses input that is not even an object (a browser can post anything)", async () => {
    const emitter = await trackingWith(acked);
    const result = await trackPageView("/" as unknown as { path: string });
    expect(result.ok).toBe(false);
    expect(emitter.emit).not.toHaveBeenCalled();
  });

  it("still answers ok, not delivered, when Kafka fails", async () => {
    await trackingWith(async () => {
      throw new KafkaSendError("send to taskflow-interactions failed", { retriable: true });
    });
    await expect(trackPageView({ path: "/" })).resolves.toEqual({ ok: true, eventId: expect.any(String), delivered: false });
  });

  it("answers at once, not delivered, while Kafka is not connected yet", async () => {
    const service = new TrackingService({ connect: () => new Promise(() => undefined), logger: silentLogger });
    service.start();
    installTrackingService(service);
    await expect(trackPageView({ path: "/" })).resolves.toMatchObject({ ok: true, delivered: false });
    await service.stop().catch(() => undefined);
  });
});
