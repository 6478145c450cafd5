import type { NodeImplementation } from "@taskflow/workflow";
import { objectInput, recordNodeEffect, type EffectRecorder } from "./effects.ts";

const ACTIONS = ["approve", "escalate", "reject"] as const;
type ModerationAction = (typeof ACTIONS)[number];

/**
 * Deterministic implementations of the content-moderation blueprint's nodes
 * (packages/workflow/blueprints/content-moderation.json). `classify` takes its action
 * from the input (`{ action, score }`), so tests pick the branch.
 */
export function moderationNodes(effects: EffectRecorder): Record<string, NodeImplementation> {
  const classify: NodeImplementation = async (ctx) => {
    const input = objectInput(ctx.input);
    const action: ModerationAction = ACTIONS.includes(input.action as ModerationAction) ? (input.action as ModerationAction) : "escalate";
    const score = typeof input.score === "number" ? input.score : 0.5;
    await recordNodeEffect(effects, ctx, "classified", { action, score });
    return { output: { action, score }, action };
  };
  const decide =
    (kind: string): NodeImplementation =>
    async (ctx) => {
      await recordNodeEffect(effects, ctx, kind, { input: ctx.input, queue: ctx.params.queue ?? null });
      return { output: { decision: kind, input: ctx.input } };
    };
  return {
    "classify-content": classify,
    "publish-content": decide("approved"),
    "open-review-ticket": decide("escalated"),
    "reject-content": decide("rejected"),
    "record-moderation-decision": decide("decision-recorded"),
  };
}
