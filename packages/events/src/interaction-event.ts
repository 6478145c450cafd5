import { z } from "zod";

/** The seven interactions the web app tracks (the seed's list). */
export const interactionActions = ["view", "login", "register", "logout", "create", "complete", "delete"] as const;
export type InteractionAction = (typeof interactionActions)[number];

/** Bounds keep one event small; a browser can send anything. */
export const MAX_WHO_LENGTH = 320;
export const MAX_WHAT_LENGTH = 1024;

/** An InteractionEvent as produced (matches kafka/schemas/interaction-event.avsc). */
export const interactionEventSchema = z.object({
  id: z.uuid(),
  action: z.enum(interactionActions),
  who: z.string().min(1).max(MAX_WHO_LENGTH),
  what: z.string().min(1).max(MAX_WHAT_LENGTH),
  time: z.date(),
});
export type InteractionEvent = z.infer<typeof interactionEventSchema>;

/** What the browser may send to track a page view: a same-site absolute path. */
export const pageViewInputSchema = z.object({
  path: z
    .string()
    .min(1, "path is required")
    .max(MAX_WHAT_LENGTH, `path must be at most ${MAX_WHAT_LENGTH} characters`)
    .regex(/^\/[^\s]*$/, "path must start with / and contain no spaces"),
});
export type PageViewInput = z.infer<typeof pageViewInputSchema>;
