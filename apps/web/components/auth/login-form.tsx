"use client";

import { useActionState } from "react";
import { logInUser, type LogInUserState } from "../../lib/actions/auth/log-in-user";
import { EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH } from "../../lib/auth/schemas";
import { idleFormState } from "../../lib/forms/form-state";
import { FormField } from "../form-field";

/** Works without JavaScript too: the form posts to the server action. */
export function LoginForm() {
  const [state, formAction, pending] = useActionState<LogInUserState, FormData>(logInUser, idleFormState);
  const failed = state.status === "error" ? state : undefined;
  return (
    <form action={formAction} className="card-form" aria-label="Log in">
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
        autoComplete="current-password"
        required
        maxLength={PASSWORD_MAX_LENGTH}
        error={failed?.fieldErrors.password}
      />
      <button type="submit" disabled={pending}>
        {pending ? "Logging in…" : "Log in"}
      </button>
    </form>
  );
}
