import type { WorkflowCommandDraft } from "@taskflow/workflow-adapters";
import { getWorkflowControl } from "./control-server";

/** Publishes a workflow command through the process's publisher (started by instrumentation.ts). */
export async function publishRunCommand(draft: WorkflowCommandDraft): Promise<{ commandId: string; runId: string }> {
  const control = getWorkflowControl();
  if (!control) throw new Error("workflow control was not started (instrumentation.ts)");
  return control.publish(draft);
}
