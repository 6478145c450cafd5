import { z } from "zod";
import { compileExpression } from "./expression.ts";

/**
 * Blueprints keep Flowcraft's JSON shape so its users feel at home:
 * `{ id, nodes, edges, metadata: { version } }`.
 *
 * Decisions this runtime makes on top of the format (see `analyseBlueprint`):
 * - CYCLES ARE REJECTED. Flowcraft loops are where its distributed runtime
 *   stalls; until we add bounded loops (a `maxIterations` per loop) a blueprint
 *   must be a DAG.
 * - A fallback node is reached only through its owner's `config.fallback`: it
 *   must have no incoming edges, serve exactly one owner, and is not a start node.
 */

/** Per-node execution settings (Flowcraft's `NodeConfig`). */
export const nodeConfigSchema = z
  .object({
    /** Total attempts, as in Flowcraft (1 = no retry). Default 1. */
    maxRetries: z.number().int().min(1).max(100).optional(),
    /** Base delay in ms before a retry; doubles per attempt (capped). Default 0. */
    retryDelay: z.number().int().min(0).optional(),
    /** Per-attempt timeout in ms, enforced by the executor. No timeout when absent. */
    timeout: z.number().int().positive().optional(),
    /** Node id to run (with this node's input) once retries are exhausted. */
    fallback: z.string().min(1).optional(),
    /** How a node with several incoming edges waits for them. Default `all`. */
    joinStrategy: z.enum(["all", "any"]).optional(),
  })
  // NOTE: strict so a typo such as `retry_delay` is an error, not a silently ignored setting.
  .strict();

export const blueprintNodeSchema = z.object({
  id: z.string().min(1),
  /** Registry key of the implementation. */
  uses: z.string().min(1),
  /** Static parameters handed to the implementation. */
  params: z.record(z.string(), z.unknown()).optional(),
  /** Flowcraft's input mapping; carried through to the executor untouched. */
  inputs: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
  config: nodeConfigSchema.optional(),
});

export const blueprintEdgeSchema = z.object({
  source: z.string().min(1),
  target: z.string().min(1),
  /** Taken only when the source returned this action. */
  action: z.string().min(1).optional(),
  /** Expression over `{ result, context, input }`; the edge is taken when truthy. */
  condition: z.string().min(1).optional(),
  /** Expression over `{ result, context, input }` computing the target's input. */
  transform: z.string().min(1).optional(),
});

export const blueprintSchema = z.object({
  id: z.string().min(1),
  nodes: z.array(blueprintNodeSchema).min(1),
  edges: z.array(blueprintEdgeSchema),
  metadata: z.object({ version: z.string().min(1) }).catchall(z.unknown()),
});

export type NodeConfig = z.infer<typeof nodeConfigSchema>;
export type BlueprintNode = z.infer<typeof blueprintNodeSchema>;
export type BlueprintEdge = z.infer<typeof blueprintEdgeSchema>;
export type Blueprint = z.infer<typeof blueprintSchema>;

/** A blueprint that is not valid JSON-shape or not runnable; `problems` lists every issue found. */
export class BlueprintValidationError extends Error {
  constructor(
    readonly blueprintId: string,
    readonly problems: readonly string[],
  ) {
    super(`Blueprint "${blueprintId}" is invalid:\n- ${problems.join("\n- ")}`);
    this.name = "BlueprintValidationError";
  }
}

/** Describes an edge in messages: `edge #2 (classify -> publish [approve])`. */
export function describeEdge(edge: Partial<BlueprintEdge>, index: number): string {
  return `edge #${index} (${edge.source ?? "?"} -> ${edge.target ?? "?"}${edge.action ? ` [${edge.action}]` : ""})`;
}

function describePath(input: unknown, path: readonly PropertyKey[]): string {
  const [collection, index, ...rest] = path;
  const raw = input as { nodes?: unknown[]; edges?: unknown[] } | null;
  const suffix = rest.length ? `.${rest.map(String).join(".")}` : "";
  if (collection === "nodes" && typeof index === "number") {
    const node = raw?.nodes?.[index] as { id?: unknown } | undefined;
    return `node #${index}${typeof node?.id === "string" ? ` "${node.id}"` : ""}${suffix}`;
  }
  if (collection === "edges" && typeof index === "number") {
    return `${describeEdge((raw?.edges?.[index] ?? {}) as Partial<BlueprintEdge>, index)}${suffix}`;
  }
  return path.length ? path.map(String).join(".") : "blueprint";
}

/**
 * Validates the JSON shape of a blueprint.
 * @throws BlueprintValidationError whose messages name the offending node or edge.
 */
export function parseBlueprint(input: unknown): Blueprint {
  const result = blueprintSchema.safeParse(input);
  if (result.success) return result.data;
  const id = typeof (input as { id?: unknown } | null)?.id === "string" ? (input as { id: string }).id : "<unknown>";
  throw new BlueprintValidationError(
    id,
    result.error.issues.map((issue) => `${describePath(input, issue.path)}: ${issue.message}`),
  );
}

/** What `analyseBlueprint` learns about the graph. */
export interface BlueprintAnalysis {
  /** Nodes with no incoming edges that are not fallback targets: a run enqueues these first. */
  startNodeIds: string[];
  /** Nodes with no outgoing edges. */
  terminalNodeIds: string[];
  /** Each cycle as the node ids of a strongly connected component (or a self-loop). */
  cycles: string[][];
  /** Nodes no start node (or fallback) can reach. */
  unreachableNodeIds: string[];
  duplicateNodeIds: string[];
  /** Every reason the blueprint cannot run; empty when runnable. */
  problems: string[];
  isRunnable: boolean;
}

/** Inspects the graph: start/terminal nodes, cycles and every structural problem. */
export function analyseBlueprint(blueprint: Blueprint): BlueprintAnalysis {
  const problems: string[] = [];
  const nodeIds = new Set<string>();
  const duplicateNodeIds = new Set<string>();
  for (const node of blueprint.nodes) {
    if (nodeIds.has(node.id)) duplicateNodeIds.add(node.id);
    nodeIds.add(node.id);
  }
  for (const id of duplicateNodeIds) problems.push(`node "${id}" is declared more than once`);

  const incoming = new Map<string, string[]>([...nodeIds].map((id) => [id, []]));
  const outgoing = new Map<string, string[]>([...nodeIds].map((id) => [id, []]));
  blueprint.edges.forEach((edge, index) => {
    const knownSource = nodeIds.has(edge.source);
    const knownTarget = nodeIds.has(edge.target);
    if (!knownSource) problems.push(`${describeEdge(edge, index)}: source "${edge.source}" is not a node`);
    if (!knownTarget) problems.push(`${describeEdge(edge, index)}: target "${edge.target}" is not a node`);
    if (knownSource && knownTarget) {
      outgoing.get(edge.source)!.push(edge.target);
      incoming.get(edge.target)!.push(edge.source);
    }
    for (const field of ["condition", "transform"] as const) {
      const source = edge[field];
      if (source === undefined) continue;
      try {
        compileExpression(source);
      } catch (error) {
        problems.push(`${describeEdge(edge, index)}: ${field}: ${(error as Error).message}`);
      }
    }
  });

  const fallbackOwners = new Map<string, string[]>();
  for (const node of blueprint.nodes) {
    const fallback = node.config?.fallback;
    if (fallback === undefined) continue;
    if (!nodeIds.has(fallback)) problems.push(`node "${node.id}": fallback "${fallback}" is not a node`);
    else if (fallback === node.id) problems.push(`node "${node.id}": fallback cannot be the node itself`);
    else fallbackOwners.set(fallback, [...(fallbackOwners.get(fallback) ?? []), node.id]);
  }
  for (const [fallback, owners] of fallbackOwners) {
    if (owners.length > 1) problems.push(`node "${fallback}" is the fallback of several nodes (${owners.join(", ")}); give each its own`);
    if (incoming.get(fallback)!.length > 0) problems.push(`node "${fallback}" is a fallback and must not have incoming edges`);
  }

  const cycles = findCycles([...nodeIds], outgoing);
  for (const cycle of cycles) problems.push(`cycle ${[...cycle, cycle[0]].join(" -> ")}: loops are not supported yet; blueprints must be acyclic`);

  const startNodeIds = [...nodeIds].filter((id) => incoming.get(id)!.length === 0 && !fallbackOwners.has(id));
  if (startNodeIds.length === 0) problems.push("blueprint has no start node (every node has an incoming edge)");
  const terminalNodeIds = [...nodeIds].filter((id) => outgoing.get(id)!.length === 0);

  // Reachability follows edges and owner -> fallback links.
  const reachable = new Set<string>();
  const frontier = [...startNodeIds];
  while (frontier.length) {
    const id = frontier.pop()!;
    if (reachable.has(id)) continue;
    reachable.add(id);
    frontier.push(...outgoing.get(id)!);
    const fallback = blueprint.nodes.find((node) => node.id === id)?.config?.fallback;
    if (fallback && nodeIds.has(fallback)) frontier.push(fallback);
  }
  const unreachableNodeIds = [...nodeIds].filter((id) => !reachable.has(id));
  for (const id of unreachableNodeIds) problems.push(`node "${id}" is unreachable from any start node`);

  return {
    startNodeIds,
    terminalNodeIds,
    cycles,
    unreachableNodeIds,
    duplicateNodeIds: [...duplicateNodeIds],
    problems,
    isRunnable: problems.length === 0,
  };
}

/** Tarjan's strongly connected components; returns components that form a cycle. */
function findCycles(nodeIds: string[], outgoing: Map<string, string[]>): string[][] {
  const indexOf = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;

  const visit = (id: string): void => {
    indexOf.set(id, counter);
    lowLink.set(id, counter);
    counter++;
    stack.push(id);
    onStack.add(id);
    for (const next of outgoing.get(id) ?? []) {
      if (!indexOf.has(next)) {
        visit(next);
        lowLink.set(id, Math.min(lowLink.get(id)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(id, Math.min(lowLink.get(id)!, indexOf.get(next)!));
      }
    }
    if (lowLink.get(id) === indexOf.get(id)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.unshift(member);
      } while (member !== id);
      const selfLoop = (outgoing.get(id) ?? []).includes(id);
      if (component.length > 1 || selfLoop) cycles.push(component);
    }
  };
  for (const id of nodeIds) if (!indexOf.has(id)) visit(id);
  return cycles;
}

/**
 * Parses and analyses a blueprint; the gate before accepting a run.
 * @throws BlueprintValidationError listing every problem.
 */
export function loadBlueprint(input: unknown): { blueprint: Blueprint; analysis: BlueprintAnalysis } {
  const blueprint = parseBlueprint(input);
  const analysis = analyseBlueprint(blueprint);
  if (!analysis.isRunnable) throw new BlueprintValidationError(blueprint.id, analysis.problems);
  return { blueprint, analysis };
}
