import { engineContextOf, type NodeExecutionContext } from "@taskflow/workflow";

/** Where example nodes write their side effects (CassandraRunStateStore implements it). */
export interface EffectRecorder {
  /** Idempotent per (run, node, effect id); what it resolves with is not used. */
  recordEffect(runId: string, nodeId: string, effectId: string, effect: { kind: string; attempt: number; fencingToken: number; detail?: unknown }): Promise<unknown>;
}

/**
 * Records a node's effect once. NOTE: the effect id derives from the node and the kind,
 * never the delivery or attempt, so a re-run (redelivery, retry) writes nothing new.
 */
export async function recordNodeEffect(effects: EffectRecorder, ctx: NodeExecutionContext, kind: string, detail?: unknown): Promise<void> {
  if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error("node attempt aborted");
  await effects.recordEffect(ctx.runId, ctx.nodeId, `${ctx.nodeId}:${kind}`, { kind, attempt: ctx.attempt, fencingToken: engineContextOf(ctx).fencingToken, detail });
}

/** A plain object view of a node input (or `{}`). */
export function objectInput(input: unknown): Record<string, unknown> {
  return typeof input === "object" && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
}
