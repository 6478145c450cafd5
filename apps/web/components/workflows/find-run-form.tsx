"use client";

import { useActionState } from "react";
import { findRun, type FindRunState } from "../../lib/actions/workflows/find-run";
import { idleFormState } from "../../lib/forms/form-state";
import { FormField } from "../form-field";

/** Opens a run by id; an unknown or malformed id is reported next to the field. */
export function FindRunForm() {
  const [state, formAction, pending] = useActionState<FindRunState, FormData>(findRun, idleFormState);
  const failed = state.status === "error" ? state : undefined;
  return (
    <form action={formAction} className="find-run" aria-label="Open a run">
      <FormField
        label="Run id"
        name="runId"
        required
        maxLength={100}
        autoComplete="off"
        defaultValue={failed?.values?.runId}
        error={failed?.fieldErrors.runId ?? failed?.formError}
      />
      <button type="submit" className="button-secondary" disabled={pending}>
        Open
      </button>
    </form>
  );
}
