import type { WorkflowCommandType } from "@taskflow/workflow-adapters";
import type { z } from "zod";
import { sessionUser } from "../auth/session-user";
import { getCassandra } from "../cassandra/server";
import { fieldErrorsOf, formError, formFields, type FormState } from "../forms/form-state";
import { SOMETHING_WENT_WRONG } from "../forms/messages";
import { log } from "../log";
import { newCorrelationId } from "../tracking/track-interaction";
import { isTerminalStatus } from "./events";
import { COMMANDS_UNAVAILABLE, RUN_FINISHED, RUN_NOT_FOUND } from "./messages";
import { publishRunCommand } from "./publish-run-command";
import { readRun } from "./run-queries";

export type RunCommandState = FormState<"runId" | "reason"> | { status: "sent"; command: WorkflowCommandType; runId: string };

/**
 * Pause, resume and cancel share this: the session's user, the form checked with
 * `schema`, the run looked up (an unknown or finished run is refused next to its
 * field), then the command published keyed by run id. Whether it applies is the
 * worker's call (a pause of a paused run is ignored there); the page shows the result.
 */
export async function sendRunCommand(
  type: Exclude<WorkflowCommandType, "run.request">,
  schema: z.ZodType<{ runId: string; reason: string }>,
  formData: FormData,
): Promise<RunCommandState> {
  const correlationId = newCorrelationId();
  const session = await sessionUser(correlationId);
  if (!session.ok) return formError(session.message);
  const fields = formFields(formData, ["runId", "reason"] as const);
  const parsed = schema.safeParse(fields);
  if (!parsed.success) return { status: "error", fieldErrors: fieldErrorsOf(parsed.error), values: { reason: fields.reason?.slice(0, 1000) } };
  const { runId, reason } = parsed.data;

  try {
    const run = await readRun(getCassandra(), runId);
    if (!run) return { status: "error", fieldErrors: { runId: RUN_NOT_FOUND }, values: { reason } };
    if (isTerminalStatus(run.status)) return { status: "error", fieldErrors: { runId: RUN_FINISHED }, values: { reason } };
  } catch (error) {
    log.error("run command not sent: run lookup failed", { correlationId, runId, type, error });
    return formError(SOMETHING_WENT_WRONG, { reason });
  }
  try {
    await publishRunCommand({ type, runId, reason: reason || undefined, actor: session.user.email, correlationId });
  } catch (error) {
    log.error("run command not sent", { correlationId, runId, type, error });
    return formError(COMMANDS_UNAVAILABLE, { reason });
  }
  log.info("run command sent", { correlationId, runId, type, userId: session.user.id });
  return { status: "sent", command: type, runId };
}
