import type { InteractionEvent } from "@taskflow/events";
import { KafkaSendError, silentLogger, type EmitAck } from "@taskflow/kafka";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SESSION_COOKIE } from "../../auth/session-cookie";
import { newSessionToken } from "../../auth/session-token";
import { browserCookies, resetFakeRequest } from "../../testing/fake-request";
import { installTrackingService } from "../../tracking/server";
import { TrackingService } from "../../tracking/tracking-service";
import { trackPageView } from "./track-page-view";

vi.mock("next/headers", async () => (await import("../../testing/fake-request")).nextHeadersModule);
vi.mock("../../log", async () => ({ log: (await import("@taskflow/kafka")).silentLogger }));

/** The sessions the fake store knows: token → user. */
const sessions = vi.hoisted(() => ({ byToken: new Map<string, { userId: string; email: string }>(), down: false }));
vi.mock("../../app-stores", async () => {
  const { DatabaseUnavailableError } = await import("../../cassandra/cassandra-service");
  return {
    appStores: () => {
      if (sessions.down) throw new DatabaseUnavailableError();
      return { sessions: { find: async (token: string) => sessions.byToken.get(token) } };
    },
  };
});

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

afterEach(() => {
  installTrackingService(undefined);
  resetFakeRequest();
  sessions.byToken.clear();
  sessions.down = false;
});

/** Puts a live session for `email` in the browser's cookie jar. */
function logIn(email: string): void {
  const token = newSessionToken();
  sessions.byToken.set(token, { userId: "3f1c2d4e-0000-4000-8000-000000000001", email });
  browserCookies.set(SESSION_COOKIE, token);
}

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
    expect(event.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.correlationId).not.toBe(event.id);
  });

  it("records the logged-in user's e-mail, taken from the session cookie", async () => {
    const emitter = await trackingWith(acked);
    logIn("ada@example.com");
    await expect(trackPageView({ path: "/todos" })).resolves.toMatchObject({ ok: true, delivered: true });
    expect(emitter.emit.mock.calls[0]![0]).toMatchObject({ action: "view", who: "ada@example.com", what: "/todos" });
  });

  it("never takes `who` from the browser: a forged field is ignored", async () => {
    const emitter = await trackingWith(acked);
    await trackPageView({ path: "/", who: "victim@example.com" } as unknown as { path: string });
    logIn("ada@example.com");
    await trackPageView({ path: "/", who: "victim@example.com" } as unknown as { path: string });
    expect(emitter.emit.mock.calls.map(([event]) => event.who)).toEqual(["anonymous", "ada@example.com"]);
  });

  it("counts an unknown, expired or revoked session cookie as anonymous", async () => {
    const emitter = await trackingWith(acked);
    browserCookies.set(SESSION_COOKIE, newSessionToken());
    await trackPageView({ path: "/" });
    browserCookies.set(SESSION_COOKIE, "not-a-token");
    await trackPageView({ path: "/" });
    expect(emitter.emit.mock.calls.map(([event]) => event.who)).toEqual(["anonymous", "anonymous"]);
  });

  it("records nothing (rather than a wrong `anonymous`) when the session cannot be read", async () => {
    const emitter = await trackingWith(acked);
    logIn("ada@example.com");
    sessions.down = true;
    await expect(trackPageView({ path: "/" })).resolves.toEqual({ ok: false, error: "the page view could not be recorded" });
    expect(emitter.emit).not.toHaveBeenCalled();
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
