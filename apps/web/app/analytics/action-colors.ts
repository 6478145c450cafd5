/** One colour per action, shared by the chart and the activity list. */
export const ACTION_COLORS: Record<string, string> = {
  view: "#0b63ce",
  login: "#1a7f37",
  register: "#0e8a7c",
  logout: "#6e7781",
  create: "#8250df",
  complete: "#bf8700",
  delete: "#cf222e",
};

export const OTHER_ACTION_COLOR = "#57606a";

export function actionColor(action: string): string {
  return ACTION_COLORS[action] ?? OTHER_ACTION_COLOR;
}
