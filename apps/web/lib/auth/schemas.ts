import { z } from "zod";

/** RFC 5321's limit on a forward path, and the form field's maxlength. */
export const EMAIL_MAX_LENGTH = 254;
export const PASSWORD_MIN_LENGTH = 8;
/** Bounds the work a login costs (scrypt reads the whole password). */
export const PASSWORD_MAX_LENGTH = 128;

/**
 * An e-mail address, trimmed and lower-cased: one account per address however
 * it is typed. (Local parts are case-sensitive in theory, never in practice.)
 */
const emailField = z
  .string({ error: "Enter your e-mail address." })
  .trim()
  .toLowerCase()
  .min(1, "Enter your e-mail address.")
  .max(EMAIL_MAX_LENGTH, `E-mail addresses have at most ${EMAIL_MAX_LENGTH} characters.`)
  .pipe(z.email("Enter a valid e-mail address, like name@example.com."));

/** The register form: what the page's fields send and what the action accepts. */
export const registerInputSchema = z.object({
  email: emailField,
  // NOTE: not trimmed: spaces are legitimate password characters.
  password: z
    .string({ error: "Choose a password." })
    .min(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters.`)
    .max(PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters.`),
});
export type RegisterInput = z.infer<typeof registerInputSchema>;
export type RegisterField = keyof RegisterInput;

/**
 * The login form. The password is only bounded, not held to the sign-up rules:
 * telling a user their password is too short would say nothing useful.
 */
export const logInInputSchema = z.object({
  email: emailField,
  password: z
    .string({ error: "Enter your password." })
    .min(1, "Enter your password.")
    .max(PASSWORD_MAX_LENGTH, `Passwords have at most ${PASSWORD_MAX_LENGTH} characters.`),
});
export type LogInInput = z.infer<typeof logInInputSchema>;
export type LogInField = keyof LogInInput;
