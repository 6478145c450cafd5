"use client";

import { Bar, BarChart, Cell, LabelList, Tooltip, XAxis, YAxis } from "recharts";
import { actionColor } from "./action-colors";

export interface ActionCount {
  action: string;
  events: number;
}

/** Events per action as horizontal bars, most frequent on top, each labelled with its count. */
export function ActionsChart({ data }: { data: ActionCount[] }) {
  return (
    <div data-testid="actions-chart">
      <BarChart data={data} layout="vertical" responsive style={{ width: "100%", height: 24 + data.length * 34 }} margin={{ top: 4, right: 48, bottom: 4, left: 0 }}>
        <XAxis type="number" hide allowDecimals={false} />
        <YAxis type="category" dataKey="action" width={76} tickLine={false} axisLine={false} tick={{ fill: "var(--fg)", fontSize: 13 }} />
        <Tooltip
          cursor={{ fill: "var(--surface)" }}
          contentStyle={{ background: "var(--bg)", border: "1px solid var(--border)", borderRadius: 6 }}
          formatter={(value) => [value, "events"]}
        />
        <Bar dataKey="events" name="events" barSize={22} radius={[0, 4, 4, 0]} isAnimationActive={false}>
          {data.map((entry) => (
            <Cell key={entry.action} fill={actionColor(entry.action)} />
          ))}
          <LabelList dataKey="events" position="right" fill="var(--fg)" fontSize={12} />
        </Bar>
      </BarChart>
    </div>
  );
}
