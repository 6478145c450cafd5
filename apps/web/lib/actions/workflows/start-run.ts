"use server";

import { sessionUser } from "../../auth/session-user";
import { fieldErrorsOf, formError, formFields, type FormState } from "../../forms/form-state";
import { log } from "../../log";
import { newCorrelationId } from "../../tracking/track-interaction";
import { COMMANDS_UNAVAILABLE } from "../../workflows/messages";
import { publishRunCommand } from "../../workflows/publish-run-command";
import { INPUT_MAX_LENGTH, startRunInputSchema } from "../../workflows/schemas";
import type { WorkflowTransport } from "../../workflows/transports";

export type StartRunState = FormState<"workflowId" | "transport" | "input"> | { status: "started"; runId: string; workflowId: string; transport: WorkflowTransport };

/**
 * The start-run form: publishes a `run.request` command naming the transport (the
 * workers of that transport start the run; the others ignore it); answers with the run
 * id the worker derives from the command id (runIdFor), so the page can link to the run
 * before it exists.
 */
export async function startRun(_previous: StartRunState, formData: FormData): Promise<StartRunState> {
  const correlationId = newCorrelationId();
  const session = await sessionUser(correlationId);
  if (!session.ok) return formError(session.message);

  const fields = formFields(formData, ["workflowId", "transport", "input"] as const);
  const parsed = startRunInputSchema.safeParse(fields);
  if (!parsed.success) {
    return {
      status: "error",
      fieldErrors: fieldErrorsOf(parsed.error),
      values: { workflowId: fields.workflowId?.slice(0, 100), transport: fields.transport?.slice(0, 100), input: fields.input?.slice(0, INPUT_MAX_LENGTH) },
    };
  }
  const { workflowId, transport, input } = parsed.data;
  try {
    const { runId } = await publishRunCommand({ type: "run.request", workflowId, transport, input, actor: session.user.email, correlationId });
    log.info("run requested", { correlationId, runId, workflowId, transport, userId: session.user.id });
    return { status: "started", runId, workflowId, transport };
  } catch (error) {
    log.error("run not requested", { correlationId, workflowId, transport, error });
    return formError(COMMANDS_UNAVAILABLE, { workflowId, transport, input: fields.input });
  }
}
