"use server";

import { redirect } from "next/navigation";
import { env } from "../../../env";
import { decoyPasswordHash, verifyPassword } from "../../auth/password";
import { logInInputSchema, type LogInField } from "../../auth/schemas";
import { readSessionToken, writeSessionCookie } from "../../auth/session-cookie";
import { appStores } from "../../app-stores";
import { fieldErrorsOf, formError, formFields, type FormState } from "../../forms/form-state";
import { log } from "../../log";
import { newCorrelationId, recordInteraction } from "../../tracking/track-interaction";

export type LogInUserState = FormState<LogInField>;

/** One message for an unknown e-mail and a wrong password: which one it was stays unsaid. */
const WRONG_CREDENTIALS = "The e-mail or password is incorrect.";

/**
 * The login form's action: checks the password, opens a session (cookie +
 * row), tracks `login` by the e-mail and goes to the user's todos.
 */
export async function logInUser(_previous: LogInUserState, formData: FormData): Promise<LogInUserState> {
  const correlationId = newCorrelationId();
  const fields = formFields(formData, ["email", "password"] as const);
  const parsed = logInInputSchema.safeParse(fields);
  const values = { email: fields.email?.slice(0, 254) ?? "" };
  if (!parsed.success) return { status: "error", fieldErrors: fieldErrorsOf(parsed.error), values };

  const { email, password } = parsed.data;
  try {
    const { users, sessions } = appStores();
    const user = await users.findByEmail(email);
    // CRITICAL: an unknown e-mail is checked against a decoy hash, so it takes as
    // long as a wrong password and the response time does not reveal accounts.
    const passwordMatches = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()));
    if (!user || !passwordMatches) {
      log.info("login refused", { correlationId });
      return { status: "error", fieldErrors: { password: WRONG_CREDENTIALS }, values: { email } };
    }
    const previousToken = await readSessionToken();
    const token = await sessions.create({ userId: user.id, email: user.email, ttlSeconds: env.SESSION_TTL_SECONDS });
    await writeSessionCookie(token, env.SESSION_TTL_SECONDS);
    // A session this browser held before is replaced, not left open.
    if (previousToken) await sessions.revoke(previousToken);
    log.info("user logged in", { correlationId, userId: user.id });
  } catch (error) {
    log.error("login failed", { correlationId, error });
    return formError("We could not log you in just now. Please try again.", { email });
  }

  await recordInteraction({ action: "login", who: email, what: "login", correlationId });
  redirect("/todos");
}
