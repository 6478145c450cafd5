import type cassandra from "cassandra-driver";

/** Renders a result set as an aligned text table, as cqlsh prints it. */
export function formatRows(result: cassandra.types.ResultSet): string {
  const columns = result.columns?.map((c) => c.name) ?? [];
  if (columns.length === 0) return "(no result)";
  const cells = result.rows.map((row) => columns.map((c) => renderCell(row.get(c))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join(" | ");
  return [
    line(columns),
    widths.map((w) => "-".repeat(w)).join("-+-"),
    ...cells.map(line),
    `\n(${result.rows.length} rows)`,
  ].join("\n");
}

function renderCell(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object" && "toString" in value && value.constructor !== Object && !Array.isArray(value)) {
    return String(value);
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
