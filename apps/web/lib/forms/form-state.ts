import type { z } from "zod";

/**
 * What a form's server action answers (useActionState's state). Messages are
 * ours, never an exception's text. `values` refills fields after an error
 * (never the password).
 */
export type FormState<Field extends string> =
  | { status: "idle" }
  | { status: "success" }
  | {
      status: "error";
      /** One message per field, shown next to it. */
      fieldErrors: Partial<Record<Field, string>>;
      /** A message about the whole form, shown above its button. */
      formError?: string;
      values?: Partial<Record<Field, string>>;
    };

export const idleFormState = { status: "idle" } as const;

/** The first message of each field of a failed parse. */
export function fieldErrorsOf<Field extends string>(error: z.ZodError): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  for (const issue of error.issues) {
    const field = issue.path[0];
    if (typeof field === "string" && !(field in errors)) errors[field as Field] = issue.message;
  }
  return errors;
}

/** A form-level error, with no field errors. */
export function formError<Field extends string>(message: string, values?: Partial<Record<Field, string>>): FormState<Field> {
  return { status: "error", fieldErrors: {}, formError: message, values };
}

/**
 * The named fields of a submitted form as plain values (files and missing
 * fields become undefined, for zod to refuse). A caller may post anything to a
 * server action, not only a FormData.
 */
export function formFields<Field extends string>(formData: unknown, fields: readonly Field[]): Record<Field, string | undefined> {
  const values = {} as Record<Field, string | undefined>;
  for (const field of fields) {
    const value = formData instanceof FormData ? formData.get(field) : undefined;
    values[field] = typeof value === "string" ? value : undefined;
  }
  return values;
}
