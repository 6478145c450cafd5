import { interactionEventSchema, type ValidInteractionEvent } from "@taskflow/events";
import { z } from "zod";

/**
 * How an InteractionEvent is kept in the tracking outbox: validated before it is
 * stored, as JSON with the time as an ISO string, in a versioned envelope so a later
 * format can still read what an older server left behind.
 */
const storedEventSchema = z.object({
  v: z.literal(1),
  event: interactionEventSchema.extend({ time: z.iso.datetime().transform((text) => new Date(text)) }),
});

export type StoredEvent = z.input<typeof storedEventSchema>;

export function toStoredEvent(event: ValidInteractionEvent): StoredEvent {
  return { v: 1, event: { ...event, time: event.time.toISOString() } };
}

/** Reads a stored value back; a value that does not parse is quarantined by the relay. */
export function fromStoredEvent(value: unknown): { ok: true; record: ValidInteractionEvent } | { ok: false; reason: string } {
  const parsed = storedEventSchema.safeParse(value);
  return parsed.success ? { ok: true, record: parsed.data.event } : { ok: false, reason: `not a stored InteractionEvent: ${z.prettifyError(parsed.error)}` };
}
