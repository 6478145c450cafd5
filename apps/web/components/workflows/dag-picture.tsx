import { layoutDag, type BlueprintShape } from "../../lib/workflows/blueprints";
import type { NodeState } from "../../lib/workflows/events";

const BOX_W = 170;
const BOX_H = 40;
const GAP_X = 60;
const GAP_Y = 24;
const PAD = 12;

const FILL: Record<NodeState, string> = {
  pending: "#e5e7eb",
  running: "#bfdbfe",
  completed: "#bbf7d0",
  failed: "#fecaca",
  skipped: "#f5f5f4",
  stopped: "#fef3c7",
};
const STROKE: Record<NodeState, string> = {
  pending: "#9ca3af",
  running: "#2563eb",
  completed: "#16a34a",
  failed: "#dc2626",
  skipped: "#a8a29e",
  stopped: "#d97706",
};

/** The blueprint as an SVG: nodes as boxes coloured by state, edges as lines (left to right). */
export function DagPicture({ blueprint, states }: { blueprint: BlueprintShape; states: Record<string, NodeState> }) {
  const { positions, layers, rows } = layoutDag(blueprint);
  const at = new Map(positions.map((p) => [p.id, { x: PAD + p.layer * (BOX_W + GAP_X), y: PAD + p.row * (BOX_H + GAP_Y) }]));
  const width = PAD * 2 + layers * BOX_W + (layers - 1) * GAP_X;
  const height = PAD * 2 + rows * BOX_H + (rows - 1) * GAP_Y;
  return (
    <svg role="img" aria-label={`${blueprint.name}: nodes by state`} data-testid="dag" viewBox={`0 0 ${width} ${height}`} width={width} height={height} style={{ maxWidth: "100%", height: "auto" }}>
      {blueprint.edges.map((edge) => {
        const from = at.get(edge.source);
        const to = at.get(edge.target);
        if (!from || !to) return null;
        return (
          <line
            key={`${edge.source}->${edge.target}`}
            data-edge={`${edge.source}->${edge.target}`}
            x1={from.x + BOX_W}
            y1={from.y + BOX_H / 2}
            x2={to.x}
            y2={to.y + BOX_H / 2}
            stroke="#6b7280"
            strokeWidth={1.5}
          />
        );
      })}
      {blueprint.nodes.map((node) => {
        const pos = at.get(node.id)!;
        const state = states[node.id] ?? "pending";
        return (
          <g key={node.id} data-testid="dag-node" data-node-id={node.id} data-state={state}>
            <title>{`${node.id}: ${state}`}</title>
            <rect x={pos.x} y={pos.y} width={BOX_W} height={BOX_H} rx={6} fill={FILL[state]} stroke={STROKE[state]} strokeWidth={2} />
            <text x={pos.x + BOX_W / 2} y={pos.y + 17} textAnchor="middle" fontSize={12} fill="#111827">
              {node.id}
            </text>
            <text x={pos.x + BOX_W / 2} y={pos.y + 32} textAnchor="middle" fontSize={10} fill="#374151">
              {state}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
