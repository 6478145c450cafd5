import { randomUUID } from "node:crypto";
import type { InteractionAction, InteractionEvent } from "@taskflow/events";
import { env } from "../../env";
import { log } from "../log";
import { getTrackingService } from "./server";

/** One user interaction, as a server action describes it. */
export interface Interaction {
  action: InteractionAction;
  /** The e-mail of the session's user, or "anonymous"; never taken from the request body. */
  who: string;
  what: string;
  /** The server-action call this interaction came from (one per call). */
  correlationId: string;
}

/** A correlation id for one server-action call; logged with every line the call writes. */
export function newCorrelationId(): string {
  return randomUUID();
}

function toEvent(interaction: Interaction): InteractionEvent {
  // The time is the interaction's, taken now, even when the send happens later.
  return { id: randomUUID(), time: new Date(), ...interaction };
}

/**
 * Hands the event to the tracking service, waiting at most `timeoutMs` for Kafka's
 * acknowledgement (0: only until it is durable in the outbox); never throws.
 */
async function send(event: InteractionEvent, timeoutMs: number): Promise<boolean> {
  const tracking = getTrackingService();
  if (!tracking) {
    log.error("interaction not sent: tracking was not started (instrumentation.ts)", { eventId: event.id, correlationId: event.correlationId });
    return false;
  }
  try {
    const outcome = await tracking.track(event, { timeoutMs });
    return outcome.delivered;
  } catch (error) {
    // track() promises not to throw; this keeps the promise if that ever changes.
    log.error("interaction not sent", { eventId: event.id, correlationId: event.correlationId, error });
    return false;
  }
}

/**
 * Tracks `interaction` and waits (at most TRACKING_SEND_TIMEOUT_MS) for Kafka's
 * acknowledgement. For page views: the tracker runs after the page is shown, so
 * nobody waits for it, and the answer tells the page whether it was delivered.
 */
export async function trackInteraction(interaction: Interaction): Promise<{ eventId: string; delivered: boolean }> {
  const event = toEvent(interaction);
  log.info("tracking interaction", { eventId: event.id, correlationId: event.correlationId, action: event.action });
  return { eventId: event.id, delivered: await send(event, env.TRACKING_SEND_TIMEOUT_MS) };
}

/**
 * Tracks a user action: resolves once the event is durable (acked by Kafka, or
 * fsynced to the local outbox), without waiting for Kafka's acknowledgement, so
 * the action pays ~1–2 ms and nothing is lost if the process dies right after
 * answering. The outbox relay delivers it when Kafka is slow or down. Returns the
 * event id; never throws.
 */
export async function recordInteraction(interaction: Interaction): Promise<string> {
  const event = toEvent(interaction);
  log.info("tracking interaction", { eventId: event.id, correlationId: event.correlationId, action: event.action });
  await send(event, 0);
  return event.id;
}
