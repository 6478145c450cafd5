"use server";

import { sendRunCommand, type RunCommandState } from "../../workflows/run-command-action";
import { runCommandInputSchema } from "../../workflows/schemas";

/** The run page's Pause button: publishes `run.pause` for the run (the worker applies it). */
export async function pauseRun(_previous: RunCommandState, formData: FormData): Promise<RunCommandState> {
  return sendRunCommand("run.pause", runCommandInputSchema, formData);
}
