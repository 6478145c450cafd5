"use server";

import { sessionUser } from "../../auth/session-user";
import { fieldErrorsOf, formError, formFields, type FormState } from "../../forms/form-state";
import { log } from "../../log";
import { newCorrelationId } from "../../tracking/track-interaction";
import { COMMANDS_UNAVAILABLE } from "../../workflows/messages";
import { publishRunCommand } from "../../workflows/publish-run-command";
import { INPUT_MAX_LENGTH, startRunInputSchema } from "../../workflows/schemas";

export type StartRunState = FormState<"workflowId" | "input"> | { status: "started"; runId: string; workflowId: string };

/**
 * The start-run form: publishes a `run.request` command (the worker starts the run);
 * answers with the run id the worker derives from the command id (runIdFor), so the
 * page can link to the run before it exists.
 */
export async function startRun(_previous: StartRunState, formData: FormData): Promise<StartRunState> {
  const correlationId = newCorrelationId();
  const session = await sessionUser(correlationId);
  if (!session.ok) return formError(session.message);

  const fields = formFields(formData, ["workflowId", "input"] as const);
  const parsed = startRunInputSchema.safeParse(fields);
  if (!parsed.success) {
    return {
      status: "error",
      fieldErrors: fieldErrorsOf(parsed.error),
      values: { workflowId: fields.workflowId?.slice(0, 100), input: fields.input?.slice(0, INPUT_MAX_LENGTH) },
    };
  }
  const { workflowId, input } = parsed.data;
  try {
    const { runId } = await publishRunCommand({ type: "run.request", workflowId, input, actor: session.user.email, correlationId });
    log.info("run requested", { correlationId, runId, workflowId, userId: session.user.id });
    return { status: "started", runId, workflowId };
  } catch (error) {
    log.error("run not requested", { correlationId, workflowId, error });
    return formError(COMMANDS_UNAVAILABLE, { workflowId, input: fields.input });
  }
}
