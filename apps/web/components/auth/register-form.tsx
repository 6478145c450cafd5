"use client";

import { registerUser } from "../../lib/actions/auth/register-user";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../../lib/auth/schemas";
import { CredentialsForm } from "./credentials-form";

export function RegisterForm() {
  return (
    <CredentialsForm
      action={registerUser}
      label="Register"
      passwordAutoComplete="new-password"
      passwordMinLength={PASSWORD_MIN_LENGTH}
      passwordHint={`${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`}
      submitLabel="Create account"
      pendingLabel="Creating your account…"
    />
  );
}
