"use server";

import { redirect } from "next/navigation";
import { sessionUser } from "../../auth/session-user";
import { getCassandra } from "../../cassandra/server";
import { fieldErrorsOf, formError, formFields, type FormState } from "../../forms/form-state";
import { SOMETHING_WENT_WRONG } from "../../forms/messages";
import { log } from "../../log";
import { newCorrelationId } from "../../tracking/track-interaction";
import { RUN_NOT_FOUND } from "../../workflows/messages";
import { readRun } from "../../workflows/run-queries";
import { runIdSchema } from "../../workflows/schemas";
import { z } from "zod";

export type FindRunState = FormState<"runId">;

const findRunInputSchema = z.object({ runId: runIdSchema });

/** The "open a run" form: checks the id names a run, then goes to its page. */
export async function findRun(_previous: FindRunState, formData: FormData): Promise<FindRunState> {
  const correlationId = newCorrelationId();
  const session = await sessionUser(correlationId);
  if (!session.ok) return formError(session.message);
  const fields = formFields(formData, ["runId"] as const);
  const parsed = findRunInputSchema.safeParse(fields);
  if (!parsed.success) return { status: "error", fieldErrors: fieldErrorsOf(parsed.error), values: { runId: fields.runId?.slice(0, 100) } };
  let found: boolean;
  try {
    found = (await readRun(getCassandra(), parsed.data.runId)) !== null;
  } catch (error) {
    log.error("run lookup failed", { correlationId, error });
    return formError(SOMETHING_WENT_WRONG, { runId: parsed.data.runId });
  }
  if (!found) return { status: "error", fieldErrors: { runId: RUN_NOT_FOUND }, values: { runId: parsed.data.runId } };
  redirect(`/runs/${parsed.data.runId}`);
}
