import { z } from "zod";

/** The seven interactions the web app tracks (the seed's list). */
export const interactionActions = ["view", "login", "register", "logout", "create", "complete", "delete"] as const;
export type InteractionAction = (typeof interactionActions)[number];

/** Bounds keep one event small; a browser can send anything. */
export const MAX_WHO_LENGTH = 320;
export const MAX_WHAT_LENGTH = 1024;
export const MAX_CORRELATION_ID_LENGTH = 128;

/** An InteractionEvent as produced (matches kafka/schemas/interaction-event.avsc). */
export const interactionEventSchema = z.object({
  id: z.uuid(),
  action: z.enum(interactionActions),
  who: z.string().min(1).max(MAX_WHO_LENGTH),
  what: z.string().min(1).max(MAX_WHAT_LENGTH),
  time: z.date(),
  /** Added in schema v2 with a default, so v1 records still decode (as null). */
  correlationId: z
    .string()
    .min(1)
    .max(MAX_CORRELATION_ID_LENGTH)
    .nullish()
    .transform((v) => v ?? null),
});
/** An event as producers build it (`correlationId` may be left out). */
export type InteractionEvent = z.input<typeof interactionEventSchema>;
/** An event after validation, as encoded and decoded (`correlationId` present, maybe null). */
export type ValidInteractionEvent = z.output<typeof interactionEventSchema>;

/** What the browser may send to track a page view: a same-site absolute path. */
export const pageViewInputSchema = z.object({
  path: z
    .string()
    .min(1, "path is required")
    .max(MAX_WHAT_LENGTH, `path must be at most ${MAX_WHAT_LENGTH} characters`)
    .regex(/^\/[^\s]*$/, "path must start with / and contain no spaces"),
});
export type PageViewInput = z.infer<typeof pageViewInputSchema>;
