import { z } from "zod";
import { WORKFLOW_IDS } from "./blueprints";
import { TRANSPORT_IDS, TRANSPORT_LABELS } from "./transports";

/** Longest run input accepted from the form (the command carries it as JSON text). */
export const INPUT_MAX_LENGTH = 10_000;
export const REASON_MAX_LENGTH = 500;

/** Run ids are UUIDs (runIdFor derives v5 ids from the command id). */
export const runIdSchema = z
  .string({ error: "Enter a run id." })
  .trim()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "A run id looks like 0f8c…-…: 36 characters, hex and dashes.")
  .transform((id) => id.toLowerCase());

/** The start-run form: a known workflow, the transport that runs it, and optional run input, a JSON object. */
export const startRunInputSchema = z.object({
  workflowId: z.enum(WORKFLOW_IDS, { error: `Choose a workflow: ${WORKFLOW_IDS.join(", ")}.` }),
  transport: z.enum(TRANSPORT_IDS, { error: `Choose a transport: ${Object.values(TRANSPORT_LABELS).join(" or ")}.` }),
  input: z
    .string()
    .optional()
    .transform((text) => text?.trim() ?? "")
    .pipe(
      z
        .string()
        .max(INPUT_MAX_LENGTH, `The input must be at most ${INPUT_MAX_LENGTH} characters.`)
        .transform((text, ctx): Record<string, unknown> => {
          if (text === "") return {};
          try {
            const value: unknown = JSON.parse(text);
            if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
            ctx.addIssue({ code: "custom", message: 'The input must be a JSON object, e.g. {"employeeId": "e-1"}.' });
          } catch {
            ctx.addIssue({ code: "custom", message: "The input is not valid JSON." });
          }
          return z.NEVER;
        }),
    ),
});

/** Pause / resume / cancel: which run, and why (required to cancel). */
export const runCommandInputSchema = z.object({
  runId: runIdSchema,
  reason: z
    .string()
    .optional()
    .transform((text) => text?.trim() ?? "")
    .pipe(z.string().max(REASON_MAX_LENGTH, `The reason must be at most ${REASON_MAX_LENGTH} characters.`)),
});

export const cancelRunInputSchema = runCommandInputSchema.extend({
  reason: z
    .string({ error: "Say why the run is cancelled." })
    .trim()
    .min(1, "Say why the run is cancelled.")
    .max(REASON_MAX_LENGTH, `The reason must be at most ${REASON_MAX_LENGTH} characters.`),
});
