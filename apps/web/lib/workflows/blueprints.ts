import contentModeration from "../../../../packages/workflow/blueprints/content-moderation.json";
import employeeOffboarding from "../../../../packages/workflow/blueprints/employee-offboarding.json";
import employeeOnboarding from "../../../../packages/workflow/blueprints/employee-onboarding.json";
import employeeTransfer from "../../../../packages/workflow/blueprints/employee-transfer.json";
import employeeUpdate from "../../../../packages/workflow/blueprints/employee-update.json";

/**
 * The workflows a user may start from /runs: the example blueprints the worker
 * registers (apps/worker/src/nodes). Read from packages/workflow/blueprints, never
 * restated; only what the pages draw (ids, names, edges) is used here.
 */
export const WORKFLOW_IDS = ["employee-onboarding", "employee-offboarding", "employee-transfer", "employee-update", "content-moderation"] as const;
export type WorkflowId = (typeof WORKFLOW_IDS)[number];

export interface BlueprintShape {
  id: string;
  name: string;
  nodes: { id: string }[];
  edges: { source: string; target: string; action?: string }[];
}

const BLUEPRINTS: Record<WorkflowId, BlueprintShape> = {
  "employee-onboarding": shapeOf(employeeOnboarding),
  "employee-offboarding": shapeOf(employeeOffboarding),
  "employee-transfer": shapeOf(employeeTransfer),
  "employee-update": shapeOf(employeeUpdate),
  "content-moderation": shapeOf(contentModeration),
};

function shapeOf(json: { id: string; metadata: { name: string }; nodes: { id: string }[]; edges: { source: string; target: string; action?: string }[] }): BlueprintShape {
  return {
    id: json.id,
    name: json.metadata.name,
    nodes: json.nodes.map((node) => ({ id: node.id })),
    edges: json.edges.map((edge) => ({ source: edge.source, target: edge.target, action: edge.action })),
  };
}

export function isWorkflowId(value: string): value is WorkflowId {
  return (WORKFLOW_IDS as readonly string[]).includes(value);
}

/** The blueprint of a known workflow id, or undefined. */
export function blueprintOf(workflowId: string | null | undefined): BlueprintShape | undefined {
  return workflowId && isWorkflowId(workflowId) ? BLUEPRINTS[workflowId] : undefined;
}

/** A node's place in the drawing: its layer (longest path from a root) and row within it. */
export interface NodePosition {
  id: string;
  layer: number;
  row: number;
}

/**
 * Lays a DAG out in layers: a node sits one layer after its furthest predecessor, so
 * every edge points rightwards. Blueprints are validated acyclic by the engine; a
 * cycle here (never expected) stops at the node count instead of looping.
 */
export function layoutDag(blueprint: BlueprintShape): { positions: NodePosition[]; layers: number; rows: number } {
  const layer = new Map(blueprint.nodes.map((node) => [node.id, 0]));
  for (let pass = 0; pass < blueprint.nodes.length; pass++) {
    let changed = false;
    for (const edge of blueprint.edges) {
      const next = (layer.get(edge.source) ?? 0) + 1;
      if (layer.has(edge.target) && next > layer.get(edge.target)!) {
        layer.set(edge.target, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const rowsUsed = new Map<number, number>();
  const positions = blueprint.nodes.map((node) => {
    const l = layer.get(node.id) ?? 0;
    const row = rowsUsed.get(l) ?? 0;
    rowsUsed.set(l, row + 1);
    return { id: node.id, layer: l, row };
  });
  return {
    positions,
    layers: Math.max(0, ...positions.map((p) => p.layer)) + 1,
    rows: Math.max(1, ...rowsUsed.values()),
  };
}
