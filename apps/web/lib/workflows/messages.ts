/** What the workflow actions tell the user: our words, never an exception's text. */
export const RUN_NOT_FOUND = "No run with this id. Check the id; a run just started may take a second to appear.";
export const RUN_FINISHED = "This run has finished; it can no longer be paused, resumed or cancelled.";
export const COMMANDS_UNAVAILABLE = "Workflow commands cannot be sent right now. Please try again in a moment.";
