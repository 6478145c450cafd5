"use server";

import { pageViewInputSchema, type PageViewInput } from "@taskflow/events";
import { getCurrentUser } from "../../auth/current-user";
import { log } from "../../log";
import { newCorrelationId, trackInteraction } from "../../tracking/track-interaction";

/** Who a visitor without a session is, in every event. */
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
 * Records that the browser showed `input.path`, by the session's user (from the
 * session cookie, never from the request) or by "anonymous". Answers within
 * TRACKING_SEND_TIMEOUT_MS even when Kafka is down: tracking never holds a page up.
 * Invalid input is refused with a message and produces no event.
 */
export async function trackPageView(input: PageViewInput): Promise<TrackPageViewResult> {
  const correlationId = newCorrelationId();
  const parsed = pageViewInputSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, error: parsed.error.issues[0]?.message ?? "invalid page view" };
  }

  let who: string;
  try {
    who = (await getCurrentUser())?.email ?? ANONYMOUS;
  } catch (error) {
    // NOTE: recording a logged-in user's view as anonymous would be wrong data.
    log.error("page view not tracked: the session could not be read", { correlationId, error });
    return { ok: false, error: "the page view could not be recorded" };
  }
  const { eventId, delivered } = await trackInteraction({ action: "view", who, what: parsed.data.path, correlationId });
  return { ok: true, eventId, delivered };
}
