"use server";

import { randomUUID } from "node:crypto";
import { pageViewInputSchema, type InteractionEvent, type PageViewInput } from "@taskflow/events";
import { env } from "../../../env";
import { log } from "../../log";
import { getTrackingService } from "../../tracking/server";

/** Until sign-in exists (a later issue), every visitor is anonymous. */
const ANONYMOUS = "anonymous";

export type TrackPageViewResult =
  | {
      ok: true;
      /** The InteractionEvent's id: the Kafka key and the Cassandra row id. */
      eventId: string;
      /** Whether Kafka acknowledged it within TRACKING_SEND_TIMEOUT_MS. */
      delivered: boolean;
    }
  | { ok: false; error: string };

/**
 * Records that the browser showed `input.path`. Answers within
 * TRACKING_SEND_TIMEOUT_MS even when Kafka is down: tracking never holds a page up.
 * Invalid input is refused with a message and produces no event.
 */
export async function trackPageView(input: PageViewInput): Promise<TrackPageViewResult> {
  const parsed = pageViewInputSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues[0]?.message ?? "invalid page view" };
  }

  const event: InteractionEvent = {
    id: randomUUID(),
    action: "view",
    who: ANONYMOUS,
    what: parsed.data.path,
    time: new Date(),
  };
  const tracking = getTrackingService();
  if (!tracking) {
    log.error("interaction not sent: tracking was not started (instrumentation.ts)", { eventId: event.id, action: event.action });
    return { ok: true, eventId: event.id, delivered: false };
  }
  const outcome = await tracking.track(event, { timeoutMs: env.TRACKING_SEND_TIMEOUT_MS });
  return { ok: true, eventId: event.id, delivered: outcome.delivered };
}
