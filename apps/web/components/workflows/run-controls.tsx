"use client";

import { useActionState, useId } from "react";
import { cancelRun } from "../../lib/actions/workflows/cancel-run";
import { pauseRun } from "../../lib/actions/workflows/pause-run";
import { resumeRun } from "../../lib/actions/workflows/resume-run";
import { idleFormState } from "../../lib/forms/form-state";
import type { RunCommandState } from "../../lib/workflows/run-command-action";
import { REASON_MAX_LENGTH } from "../../lib/workflows/schemas";

const SENT: Record<string, string> = { "run.pause": "Pause requested.", "run.resume": "Resume requested.", "run.cancel": "Cancel requested." };

function Outcome({ state }: { state: RunCommandState }) {
  if (state.status === "sent") return <p role="status">{SENT[state.command]}</p>;
  if (state.status !== "error") return null;
  const message = state.fieldErrors.runId ?? state.formError;
  return message ? (
    <p className="field-error" role="alert">
      {message}
    </p>
  ) : null;
}

/** Pause / Resume / Cancel (with a reason): each publishes a command; the status follows through the live refresh. */
export function RunControls({ runId, status }: { runId: string; status: string | null }) {
  const [pauseState, pause, pausing] = useActionState<RunCommandState, FormData>(pauseRun, idleFormState);
  const [resumeState, resume, resuming] = useActionState<RunCommandState, FormData>(resumeRun, idleFormState);
  const [cancelState, cancel, cancelling] = useActionState<RunCommandState, FormData>(cancelRun, idleFormState);
  const id = useId();
  const reasonError = cancelState.status === "error" ? cancelState.fieldErrors.reason : undefined;
  return (
    <section aria-label="Run controls" className="run-controls">
      <form action={pause}>
        <input type="hidden" name="runId" value={runId} />
        <button type="submit" className="button-secondary" disabled={pausing || status === "paused"}>
          Pause
        </button>
        <Outcome state={pauseState} />
      </form>
      <form action={resume}>
        <input type="hidden" name="runId" value={runId} />
        <button type="submit" className="button-secondary" disabled={resuming || status !== "paused"}>
          Resume
        </button>
        <Outcome state={resumeState} />
      </form>
      <form action={cancel}>
        <input type="hidden" name="runId" value={runId} />
        <div className="field">
          <label htmlFor={`${id}-reason`}>Reason to cancel</label>
          <input
            id={`${id}-reason`}
            name="reason"
            maxLength={REASON_MAX_LENGTH}
            autoComplete="off"
            aria-invalid={reasonError ? true : undefined}
            aria-describedby={reasonError ? `${id}-reason-note` : undefined}
          />
          {reasonError ? (
            <p id={`${id}-reason-note`} className="field-error" role="alert">
              {reasonError}
            </p>
          ) : null}
        </div>
        <button type="submit" disabled={cancelling}>
          Cancel run
        </button>
        <Outcome state={cancelState} />
      </form>
    </section>
  );
}
