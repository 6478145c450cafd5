"use client";

import Link from "next/link";
import { useActionState, useId } from "react";
import { startRun, type StartRunState } from "../../lib/actions/workflows/start-run";
import { idleFormState } from "../../lib/forms/form-state";
import { WORKFLOW_IDS } from "../../lib/workflows/blueprints";
import { INPUT_MAX_LENGTH } from "../../lib/workflows/schemas";
import { DEFAULT_TRANSPORT, TRANSPORT_IDS, TRANSPORT_LABELS } from "../../lib/workflows/transports";

/** Starts a run: a workflow, the transport that runs it and optional JSON input; answers with the new run's id. */
export function StartRunForm() {
  const [state, formAction, pending] = useActionState<StartRunState, FormData>(startRun, idleFormState);
  const failed = state.status === "error" ? state : undefined;
  const id = useId();
  return (
    <form action={formAction} className="start-run" aria-label="Start a run">
      <div className="field">
        <label htmlFor={`${id}-workflow`}>Workflow</label>
        <select
          id={`${id}-workflow`}
          name="workflowId"
          defaultValue={failed?.values?.workflowId ?? WORKFLOW_IDS[0]}
          aria-invalid={failed?.fieldErrors.workflowId ? true : undefined}
          aria-describedby={failed?.fieldErrors.workflowId ? `${id}-workflow-note` : undefined}
        >
          {WORKFLOW_IDS.map((workflowId) => (
            <option key={workflowId} value={workflowId}>
              {workflowId}
            </option>
          ))}
        </select>
        {failed?.fieldErrors.workflowId ? (
          <p id={`${id}-workflow-note`} className="field-error" role="alert">
            {failed.fieldErrors.workflowId}
          </p>
        ) : null}
      </div>
      <fieldset className="transport-choice" aria-describedby={failed?.fieldErrors.transport ? `${id}-transport-note` : undefined}>
        <legend>Transport</legend>
        {TRANSPORT_IDS.map((transport) => (
          <label key={transport} className="choice">
            <input type="radio" name="transport" value={transport} defaultChecked={(failed?.values?.transport ?? DEFAULT_TRANSPORT) === transport} />
            {TRANSPORT_LABELS[transport]}
          </label>
        ))}
        {failed?.fieldErrors.transport ? (
          <p id={`${id}-transport-note`} className="field-error" role="alert">
            {failed.fieldErrors.transport}
          </p>
        ) : null}
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-input`}>Input (JSON, optional)</label>
        <textarea
          id={`${id}-input`}
          name="input"
          rows={3}
          maxLength={INPUT_MAX_LENGTH}
          placeholder='{"employeeId": "e-42"}'
          defaultValue={failed?.values?.input}
          aria-invalid={failed?.fieldErrors.input ? true : undefined}
          aria-describedby={`${id}-input-note`}
        />
        <p id={`${id}-input-note`} className={failed?.fieldErrors.input ? "field-error" : "field-hint"} role={failed?.fieldErrors.input ? "alert" : undefined}>
          {failed?.fieldErrors.input ?? "A JSON object, or leave empty."}
        </p>
      </div>
      {failed?.formError ? (
        <p className="field-error" role="alert">
          {failed.formError}
        </p>
      ) : null}
      <button type="submit" disabled={pending}>
        {pending ? "Starting…" : "Start run"}
      </button>
      {state.status === "started" ? (
        <p role="status" data-testid="started-run" data-run-id={state.runId} data-transport={state.transport}>
          Run requested: <Link href={`/runs/${state.runId}`}>{state.runId}</Link> ({state.workflowId} on {TRANSPORT_LABELS[state.transport]})
        </p>
      ) : null}
    </form>
  );
}
