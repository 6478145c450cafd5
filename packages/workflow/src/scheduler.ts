import { BlueprintValidationError, analyseBlueprint, describeEdge, type Blueprint, type BlueprintEdge, type BlueprintNode, type NodeConfig } from "./blueprint.ts";
import { compileExpression, type CompiledExpression } from "./expression.ts";

/**
 * The pure, deterministic heart of the runtime: given a blueprint and the facts
 * recorded for a run so far, say what happens next. Workers, the reconciler and
 * tests all call `decideNext` with whatever facts they have; because decisions
 * are a function of the (deduplicated) facts, redelivered outcomes cannot fire a
 * join early or twice, and a run cannot be "failed, then completed".
 *
 * Semantics:
 * - Edges: a source's edges whose `action` equals its result's action are
 *   candidates; if none match, its action-less (default) edges are. A candidate
 *   is taken when its `condition` (if any) is truthy. Everything else is not taken.
 * - Skips: an edge from a skipped (or failed) source is not taken; a node none of
 *   whose incoming edges can be taken any more is SKIPPED, which propagates.
 * - Joins count a skipped edge as arrived. `all` fires once every incoming edge
 *   has arrived and at least one was taken; `any` fires on the first taken edge
 *   (by arrival order) and never again.
 * - Input: start nodes get the run input; a node with one incoming edge gets that
 *   edge's value (`transform` or the source output); an `all` join with several
 *   edges gets `{ [sourceId]: value }` for the taken edges; an `any` join gets the
 *   first taken edge's value.
 * - Failures: an attempt's failure is retried per `retryDecision`; once
 *   exhausted, the node's fallback (if any) runs with the same input and its
 *   result stands in for the node. Otherwise the run FAILS and nothing new is
 *   scheduled.
 * - The run COMPLETES when every node is completed, recovered or skipped.
 */

/** Longest wait between retries, whatever `retryDelay` and the attempt say. */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;

export interface NodeError {
  message: string;
  /** `false` skips remaining retries (e.g. validation errors). */
  retryable?: boolean;
}

/** One recorded fact about a node attempt. Duplicates are expected and harmless. */
export type NodeOutcome =
  | { nodeId: string; attempt: number; status: "completed"; output?: unknown; action?: string }
  | { nodeId: string; attempt: number; status: "failed"; error: NodeError }
  | { nodeId: string; attempt?: number; status: "skipped" };

export interface NodeAttemptRef {
  nodeId: string;
  attempt: number;
}

/** Everything known about a run. `outcomes` must be in arrival (sequence) order. */
export interface RunFacts {
  /** Input handed to start nodes. */
  input?: unknown;
  /** Shared run context visible to expressions as `context`. */
  context?: Readonly<Record<string, unknown>>;
  outcomes: readonly NodeOutcome[];
  /** Attempts already enqueued, so they are not reported as ready again. */
  scheduled?: readonly NodeAttemptRef[];
}

export type RetryDecision =
  | { kind: "retry"; nextAttempt: number; delayMs: number }
  | { kind: "fallback"; fallbackNodeId: string }
  | { kind: "fail" };

/**
 * What to do after `attempt` (1-based) failed: retry after
 * `retryDelay * 2^(attempt-1)` ms (capped at `MAX_RETRY_DELAY_MS`) while attempts
 * remain (`maxRetries` is the total number of attempts, as in Flowcraft), then the
 * fallback if configured, else fail.
 */
export function retryDecision(config: NodeConfig | undefined, attempt: number, error?: NodeError): RetryDecision {
  const maxAttempts = config?.maxRetries ?? 1;
  if (error?.retryable !== false && attempt < maxAttempts) {
    const delayMs = Math.min((config?.retryDelay ?? 0) * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
    return { kind: "retry", nextAttempt: attempt + 1, delayMs };
  }
  return config?.fallback ? { kind: "fallback", fallbackNodeId: config.fallback } : { kind: "fail" };
}

/** Per-attempt timeout in ms for the executor to enforce, or `undefined` for none. */
export function timeoutMs(config: NodeConfig | undefined): number | undefined {
  return config?.timeout;
}

export type NodeStatus = "pending" | "ready" | "running" | "completed" | "recovered" | "failed" | "skipped";

export interface ReadyNode {
  nodeId: string;
  attempt: number;
  input: unknown;
  /** Wait this long before running (retry backoff); 0 otherwise. */
  delayMs: number;
  reason: "start" | "edges" | "retry" | "fallback";
}

export interface SchedulerDecision {
  status: "running" | "completed" | "failed";
  /** Attempts to enqueue now (not already in `facts.scheduled`). Empty once the run has ended. */
  ready: ReadyNode[];
  /** Nodes now known to be skipped and not yet recorded as skipped. */
  skipped: string[];
  nodeStatuses: Record<string, NodeStatus>;
  failure?: { nodeId?: string; message: string };
}

interface CompiledEdge {
  edge: BlueprintEdge;
  index: number;
  condition?: CompiledExpression;
  transform?: CompiledExpression;
}

/** A blueprint prepared for scheduling: validated once, expressions compiled once. */
export interface CompiledWorkflow {
  blueprint: Blueprint;
  startNodeIds: readonly string[];
  nodes: ReadonlyMap<string, BlueprintNode>;
  incoming: ReadonlyMap<string, readonly CompiledEdge[]>;
  outgoing: ReadonlyMap<string, readonly CompiledEdge[]>;
  /** fallback node id -> the node it stands in for */
  fallbackOwner: ReadonlyMap<string, string>;
}

/** @throws BlueprintValidationError if the blueprint is not runnable. */
export function compileWorkflow(blueprint: Blueprint): CompiledWorkflow {
  const analysis = analyseBlueprint(blueprint);
  if (!analysis.isRunnable) throw new BlueprintValidationError(blueprint.id, analysis.problems);
  const nodes = new Map(blueprint.nodes.map((node) => [node.id, node]));
  const incoming = new Map<string, CompiledEdge[]>(blueprint.nodes.map((node) => [node.id, []]));
  const outgoing = new Map<string, CompiledEdge[]>(blueprint.nodes.map((node) => [node.id, []]));
  blueprint.edges.forEach((edge, index) => {
    const compiled: CompiledEdge = {
      edge,
      index,
      condition: edge.condition === undefined ? undefined : compileExpression(edge.condition),
      transform: edge.transform === undefined ? undefined : compileExpression(edge.transform),
    };
    incoming.get(edge.target)!.push(compiled);
    outgoing.get(edge.source)!.push(compiled);
  });
  const fallbackOwner = new Map<string, string>();
  for (const node of blueprint.nodes) if (node.config?.fallback) fallbackOwner.set(node.config.fallback, node.id);
  return { blueprint, startNodeIds: analysis.startNodeIds, nodes, incoming, outgoing, fallbackOwner };
}

type Activation = { kind: "pending" } | { kind: "skipped" } | { kind: "active"; input: unknown; reason: ReadyNode["reason"] };

/** A node's own state, from its activation and its attempts' outcomes. */
type OwnState =
  | { kind: "pending" }
  | { kind: "skipped" }
  | { kind: "waiting"; next: ReadyNode; scheduled: boolean }
  | { kind: "completed"; output: unknown; action: string | undefined; arrival: number }
  | { kind: "failed"; error: NodeError };

/** The state successors see: a failed node's fallback result stands in for it. */
type EffectiveState =
  | { kind: "pending" }
  | { kind: "skipped" }
  | { kind: "done"; output: unknown; action: string | undefined; arrival: number; viaFallback: boolean }
  | { kind: "failed"; nodeId: string; error: NodeError };

type EdgeState = { kind: "pending" } | { kind: "not-taken" } | { kind: "taken"; value: unknown; arrival: number };

class EdgeEvaluationFailure extends Error {}

interface NodeFacts {
  completed?: { output: unknown; action: string | undefined; arrival: number };
  lastFailure?: { attempt: number; error: NodeError };
  recordedSkip: boolean;
}

function collectFacts(outcomes: readonly NodeOutcome[]): Map<string, NodeFacts> {
  const byNode = new Map<string, NodeFacts>();
  outcomes.forEach((outcome, arrival) => {
    const facts = byNode.get(outcome.nodeId) ?? { recordedSkip: false };
    byNode.set(outcome.nodeId, facts);
    if (outcome.status === "completed") {
      // NOTE: first completion wins; a redelivered one changes nothing.
      facts.completed ??= { output: outcome.output, action: outcome.action, arrival };
    } else if (outcome.status === "failed") {
      if (!facts.lastFailure || outcome.attempt > facts.lastFailure.attempt) facts.lastFailure = { attempt: outcome.attempt, error: outcome.error };
    } else {
      facts.recordedSkip = true;
    }
  });
  return byNode;
}

/** Decides what happens next for a run. Pure: same inputs, same decision. */
export function decideNext(workflow: CompiledWorkflow, facts: RunFacts): SchedulerDecision {
  const nodeFacts = collectFacts(facts.outcomes);
  const scheduled = new Set((facts.scheduled ?? []).map((ref) => `${ref.nodeId}#${ref.attempt}`));
  const context = facts.context ?? {};
  const ownStates = new Map<string, OwnState>();
  const effectiveStates = new Map<string, EffectiveState>();

  const activationOf = (nodeId: string): Activation => {
    const owner = workflow.fallbackOwner.get(nodeId);
    if (owner !== undefined) {
      const ownerState = ownStateOf(owner);
      if (ownerState.kind === "failed") {
        const ownerActivation = activationOf(owner);
        return ownerActivation.kind === "active" ? { kind: "active", input: ownerActivation.input, reason: "fallback" } : ownerActivation;
      }
      return ownerState.kind === "completed" || ownerState.kind === "skipped" ? { kind: "skipped" } : { kind: "pending" };
    }
    const edges = workflow.incoming.get(nodeId)!;
    if (edges.length === 0) return { kind: "active", input: facts.input, reason: "start" };
    const states = edges.map((edge) => ({ edge, state: edgeStateOf(edge) }));
    const taken = states.filter((entry): entry is { edge: CompiledEdge; state: Extract<EdgeState, { kind: "taken" }> } => entry.state.kind === "taken");
    const anyPending = states.some((entry) => entry.state.kind === "pending");
    const joinStrategy = workflow.nodes.get(nodeId)!.config?.joinStrategy ?? "all";
    if (joinStrategy === "any" && taken.length > 0) {
      const first = taken.reduce((earliest, entry) => (entry.state.arrival < earliest.state.arrival ? entry : earliest));
      return { kind: "active", input: first.state.value, reason: "edges" };
    }
    if (anyPending) return { kind: "pending" };
    if (taken.length === 0) return { kind: "skipped" };
    if (edges.length === 1) return { kind: "active", input: taken[0]!.state.value, reason: "edges" };
    return { kind: "active", input: Object.fromEntries(taken.map((entry) => [entry.edge.edge.source, entry.state.value])), reason: "edges" };
  };

  const ownStateOf = (nodeId: string): OwnState => {
    const cached = ownStates.get(nodeId);
    if (cached) return cached;
    const state = computeOwnState(nodeId);
    ownStates.set(nodeId, state);
    return state;
  };

  const computeOwnState = (nodeId: string): OwnState => {
    const activation = activationOf(nodeId);
    if (activation.kind !== "active") return activation;
    const recorded = nodeFacts.get(nodeId);
    if (recorded?.completed) return { kind: "completed", ...recorded.completed };
    const waiting = (next: ReadyNode): OwnState => ({ kind: "waiting", next, scheduled: scheduled.has(`${nodeId}#${next.attempt}`) });
    if (!recorded?.lastFailure) return waiting({ nodeId, attempt: 1, input: activation.input, delayMs: 0, reason: activation.reason });
    const { attempt, error } = recorded.lastFailure;
    const decision = retryDecision(workflow.nodes.get(nodeId)!.config, attempt, error);
    if (decision.kind === "retry") return waiting({ nodeId, attempt: decision.nextAttempt, input: activation.input, delayMs: decision.delayMs, reason: "retry" });
    return { kind: "failed", error };
  };

  const effectiveStateOf = (nodeId: string): EffectiveState => {
    const cached = effectiveStates.get(nodeId);
    if (cached) return cached;
    const own = ownStateOf(nodeId);
    let state: EffectiveState;
    if (own.kind === "completed") state = { kind: "done", output: own.output, action: own.action, arrival: own.arrival, viaFallback: false };
    else if (own.kind === "skipped") state = own;
    else if (own.kind === "failed") {
      const fallback = workflow.nodes.get(nodeId)!.config?.fallback;
      if (fallback === undefined) state = { kind: "failed", nodeId, error: own.error };
      else {
        const fallbackState = effectiveStateOf(fallback);
        state = fallbackState.kind === "done" ? { ...fallbackState, viaFallback: true } : fallbackState;
      }
    } else state = { kind: "pending" };
    effectiveStates.set(nodeId, state);
    return state;
  };

  const edgeStateOf = (compiled: CompiledEdge): EdgeState => {
    const { edge } = compiled;
    const source = effectiveStateOf(edge.source);
    if (source.kind === "pending") return { kind: "pending" };
    if (source.kind !== "done") return { kind: "not-taken" };
    const siblings = workflow.outgoing.get(edge.source)!;
    const actionMatched = siblings.some((sibling) => sibling.edge.action !== undefined && sibling.edge.action === source.action);
    const isCandidate = actionMatched ? edge.action === source.action : edge.action === undefined;
    if (!isCandidate) return { kind: "not-taken" };
    const scope = { result: { output: source.output, action: source.action }, input: source.output, context };
    try {
      if (compiled.condition && !compiled.condition.evaluate(scope)) return { kind: "not-taken" };
      const value = compiled.transform ? compiled.transform.evaluate(scope) : source.output;
      return { kind: "taken", value, arrival: source.arrival };
    } catch (error) {
      throw new EdgeEvaluationFailure(`${describeEdge(edge, compiled.index)}: ${(error as Error).message}`);
    }
  };

  const nodeStatuses: Record<string, NodeStatus> = {};
  const ready: ReadyNode[] = [];
  const skipped: string[] = [];
  let failure: SchedulerDecision["failure"];
  try {
    for (const nodeId of workflow.nodes.keys()) {
      const own = ownStateOf(nodeId);
      const effective = effectiveStateOf(nodeId);
      if (effective.kind === "failed" && !failure) failure = { nodeId: effective.nodeId, message: effective.error.message };
      switch (own.kind) {
        case "waiting":
          nodeStatuses[nodeId] = own.scheduled ? "running" : "ready";
          if (!own.scheduled) ready.push(own.next);
          break;
        case "skipped":
          nodeStatuses[nodeId] = "skipped";
          if (!nodeFacts.get(nodeId)?.recordedSkip) skipped.push(nodeId);
          break;
        case "failed":
          nodeStatuses[nodeId] = effective.kind === "done" ? "recovered" : "failed";
          break;
        default:
          nodeStatuses[nodeId] = own.kind;
      }
    }
  } catch (error) {
    if (!(error instanceof EdgeEvaluationFailure)) throw error;
    return { status: "failed", ready: [], skipped: [], nodeStatuses, failure: { message: error.message } };
  }

  if (failure) return { status: "failed", ready: [], skipped, nodeStatuses, failure };
  const finished = Object.values(nodeStatuses).every((status) => status === "completed" || status === "recovered" || status === "skipped");
  return { status: finished ? "completed" : "running", ready, skipped, nodeStatuses };
}
