import type { Blueprint } from "./blueprint.ts";

/** What a node implementation receives for one attempt. */
export interface NodeExecutionContext {
  runId: string;
  nodeId: string;
  /** 1-based attempt number. */
  attempt: number;
  /** The node's static `params` from the blueprint. */
  params: Readonly<Record<string, unknown>>;
  /** Computed by the scheduler from predecessors' outputs (and edge transforms). */
  input: unknown;
  /** The run's shared context (read-only here; nodes return outputs instead of mutating it). */
  context: Readonly<Record<string, unknown>>;
  /** Aborted on timeout, cancel or shutdown; implementations should stop work promptly. */
  signal: AbortSignal;
}

/** A node's result: `output` feeds successors, `action` picks which edges fire. */
export interface NodeExecutionResult {
  output?: unknown;
  action?: string;
}

export type NodeImplementation = (ctx: NodeExecutionContext) => Promise<NodeExecutionResult>;

export class UnknownNodeTypeError extends Error {
  constructor(
    readonly uses: string,
    readonly known: readonly string[],
    readonly nodeId?: string,
  ) {
    super(
      `No implementation registered for uses "${uses}"${nodeId ? ` (node "${nodeId}")` : ""}; registered: ${known.length ? known.join(", ") : "none"}`,
    );
    this.name = "UnknownNodeTypeError";
  }
}

/** Maps a blueprint node's `uses` to its implementation. */
export class NodeRegistry {
  private readonly implementations = new Map<string, NodeImplementation>();

  constructor(entries: Readonly<Record<string, NodeImplementation>> = {}) {
    for (const [uses, implementation] of Object.entries(entries)) this.register(uses, implementation);
  }

  /** Registers `uses`; registering the same key twice is a programming error. */
  register(uses: string, implementation: NodeImplementation): this {
    if (this.implementations.has(uses)) throw new Error(`Node type "${uses}" is already registered`);
    this.implementations.set(uses, implementation);
    return this;
  }

  has(uses: string): boolean {
    return this.implementations.has(uses);
  }

  /** @throws UnknownNodeTypeError listing what is registered. */
  resolve(uses: string, nodeId?: string): NodeImplementation {
    const implementation = this.implementations.get(uses);
    if (!implementation) throw new UnknownNodeTypeError(uses, [...this.implementations.keys()], nodeId);
    return implementation;
  }

  /** Problems for every node whose `uses` has no implementation: check before accepting a run. */
  missingImplementations(blueprint: Blueprint): string[] {
    return blueprint.nodes
      .filter((node) => !this.implementations.has(node.uses))
      .map((node) => `node "${node.id}" uses "${node.uses}", which has no registered implementation`);
  }
}
