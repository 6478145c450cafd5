"use client";

import { useActionState } from "react";
import { EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH } from "../../lib/auth/schemas";
import { idleFormState, type FormState } from "../../lib/forms/form-state";
import { FormField } from "../form-field";

type CredentialsState = FormState<"email" | "password">;

/** What tells the log-in form from the register form. */
export interface CredentialsFormProps {
  /** The server action the form posts to (works without JavaScript too). */
  action: (state: CredentialsState, form: FormData) => Promise<CredentialsState>;
  label: string;
  passwordAutoComplete: "current-password" | "new-password";
  passwordMinLength?: number;
  passwordHint?: string;
  submitLabel: string;
  pendingLabel: string;
}

/** An e-mail + password form with errors next to each field. */
export function CredentialsForm(props: CredentialsFormProps) {
  const [state, formAction, pending] = useActionState<CredentialsState, FormData>(props.action, idleFormState);
  const failed = state.status === "error" ? state : undefined;
  return (
    <form action={formAction} className="card-form" aria-label={props.label}>
      {failed?.formError ? (
        <p className="form-error" role="alert">
          {failed.formError}
        </p>
      ) : null}
      <FormField
        label="E-mail"
        name="email"
        type="email"
        autoComplete="email"
        required
        maxLength={EMAIL_MAX_LENGTH}
        defaultValue={failed?.values?.email}
        error={failed?.fieldErrors.email}
      />
      <FormField
        label="Password"
        name="password"
        type="password"
        autoComplete={props.passwordAutoComplete}
        required
        minLength={props.passwordMinLength}
        maxLength={PASSWORD_MAX_LENGTH}
        hint={props.passwordHint}
        error={failed?.fieldErrors.password}
      />
      <button type="submit" disabled={pending}>
        {pending ? props.pendingLabel : props.submitLabel}
      </button>
    </form>
  );
}
