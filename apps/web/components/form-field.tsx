import { useId, type InputHTMLAttributes } from "react";

interface FormFieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "name"> {
  label: string;
  name: string;
  /** The server's message for this field, shown under it and tied to it for screen readers. */
  error?: string;
  /** A short rule shown under the field while there is no error. */
  hint?: string;
}

/** A labelled input with its error (or hint) right below it. For client forms. */
export function FormField({ label, name, error, hint, ...input }: FormFieldProps) {
  const id = useId();
  const noteId = `${id}-note`;
  const note = error ?? hint;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} aria-invalid={error ? true : undefined} aria-describedby={note ? noteId : undefined} {...input} />
      {note ? (
        <p id={noteId} className={error ? "field-error" : "field-hint"} role={error ? "alert" : undefined}>
          {note}
        </p>
      ) : null}
    </div>
  );
}
