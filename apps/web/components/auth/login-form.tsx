"use client";

import { logInUser } from "../../lib/actions/auth/log-in-user";
import { CredentialsForm } from "./credentials-form";

export function LoginForm() {
  return (
    <CredentialsForm
      action={logInUser}
      label="Log in"
      passwordAutoComplete="current-password"
      submitLabel="Log in"
      pendingLabel="Logging in…"
    />
  );
}
