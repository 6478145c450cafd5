"use server";

import { redirect } from "next/navigation";
import { hashPassword } from "../../auth/password";
import { registerInputSchema, type RegisterField } from "../../auth/schemas";
import { appStores } from "../../app-stores";
import { fieldErrorsOf, formError, formFields, type FormState } from "../../forms/form-state";
import { log } from "../../log";
import { newCorrelationId, recordInteraction } from "../../tracking/track-interaction";

export type RegisterUserState = FormState<RegisterField>;

/**
 * The register form's action: creates the account (one per e-mail) and sends
 * the user to the login page; tracks `register` by the new e-mail.
 */
export async function registerUser(_previous: RegisterUserState, formData: FormData): Promise<RegisterUserState> {
  const correlationId = newCorrelationId();
  const fields = formFields(formData, ["email", "password"] as const);
  const parsed = registerInputSchema.safeParse(fields);
  const values = { email: fields.email?.slice(0, 254) ?? "" };
  if (!parsed.success) return { status: "error", fieldErrors: fieldErrorsOf(parsed.error), values };

  const { email, password } = parsed.data;
  try {
    const result = await appStores().users.create({ email, passwordHash: await hashPassword(password) });
    if (!result.created) {
      return { status: "error", fieldErrors: { email: "An account with this e-mail already exists. Log in instead." }, values: { email } };
    }
    log.info("user registered", { correlationId, userId: result.user.id });
  } catch (error) {
    log.error("registration failed", { correlationId, error });
    return formError("We could not create your account just now. Please try again.", { email });
  }

  await recordInteraction({ action: "register", who: email, what: "register", correlationId });
  redirect("/login?registered=1");
}
