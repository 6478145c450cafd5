"use client";

import { useActionState } from "react";
import { registerUser, type RegisterUserState } from "../../lib/actions/auth/register-user";
import { EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../../lib/auth/schemas";
import { idleFormState } from "../../lib/forms/form-state";
import { FormField } from "../form-field";

/** Works without JavaScript too: the form posts to the server action. */
export function RegisterForm() {
  const [state, formAction, pending] = useActionState<RegisterUserState, FormData>(registerUser, idleFormState);
  const failed = state.status === "error" ? state : undefined;
  return (
    <form action={formAction} className="card-form" aria-label="Register">
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
        autoComplete="new-password"
        required
        minLength={PASSWORD_MIN_LENGTH}
        maxLength={PASSWORD_MAX_LENGTH}
        hint={`${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`}
        error={failed?.fieldErrors.password}
      />
      <button type="submit" disabled={pending}>
        {pending ? "Creating your account…" : "Create account"}
      </button>
    </form>
  );
}
