"use server";

import { sendRunCommand, type RunCommandState } from "../../workflows/run-command-action";
import { runCommandInputSchema } from "../../workflows/schemas";

/** The run page's Resume button: publishes `run.resume` for the run (the worker applies it). */
export async function resumeRun(_previous: RunCommandState, formData: FormData): Promise<RunCommandState> {
  return sendRunCommand("run.resume", runCommandInputSchema, formData);
}
