"use server";

import { sendRunCommand, type RunCommandState } from "../../workflows/run-command-action";
import { cancelRunInputSchema } from "../../workflows/schemas";

/** The run page's Cancel button: publishes `run.cancel` for the run (the worker applies it). */
export async function cancelRun(_previous: RunCommandState, formData: FormData): Promise<RunCommandState> {
  return sendRunCommand("run.cancel", cancelRunInputSchema, formData);
}
