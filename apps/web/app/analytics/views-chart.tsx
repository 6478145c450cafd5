"use client";

import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis } from "recharts";

export interface ViewsPoint {
  day: string;
  /** Axis label, e.g. `Nov 23`. */
  label: string;
  views: number;
}

/** Page views per day as bars; the selected day is the solid one. */
export function ViewsChart({ data, selectedDay }: { data: ViewsPoint[]; selectedDay: string }) {
  return (
    <div data-testid="views-chart">
      <BarChart data={data} responsive style={{ width: "100%", height: 220 }} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid vertical={false} stroke="var(--border)" />
        <XAxis dataKey="label" tickLine={false} axisLine={false} interval="preserveStartEnd" minTickGap={12} tick={{ fill: "var(--muted)", fontSize: 12 }} />
        <YAxis allowDecimals={false} width={44} tickLine={false} axisLine={false} tick={{ fill: "var(--muted)", fontSize: 12 }} />
        <Tooltip
          cursor={{ fill: "var(--surface)" }}
          contentStyle={{ background: "var(--bg)", border: "1px solid var(--border)", borderRadius: 6 }}
          formatter={(value) => [value, "views"]}
        />
        <Bar dataKey="views" name="views" radius={[4, 4, 0, 0]} isAnimationActive={false}>
          {data.map((point) => (
            <Cell key={point.day} fill={point.day === selectedDay ? "var(--accent)" : "color-mix(in srgb, var(--accent) 40%, transparent)"} />
          ))}
        </Bar>
      </BarChart>
    </div>
  );
}
