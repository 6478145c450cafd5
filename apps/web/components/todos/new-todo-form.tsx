"use client";

import { useActionState } from "react";
import { createTodo, type CreateTodoState } from "../../lib/actions/todos/create-todo";
import { idleFormState } from "../../lib/forms/form-state";
import { TITLE_MAX_LENGTH } from "../../lib/todos/schemas";
import { FormField } from "../form-field";

/** Adds a todo; the field empties after each success (React resets the form). */
export function NewTodoForm() {
  const [state, formAction, pending] = useActionState<CreateTodoState, FormData>(createTodo, idleFormState);
  const failed = state.status === "error" ? state : undefined;
  return (
    <form action={formAction} className="new-todo" aria-label="Add a todo">
      <FormField
        label="New todo"
        name="title"
        required
        maxLength={TITLE_MAX_LENGTH}
        autoComplete="off"
        placeholder="What needs doing?"
        defaultValue={failed?.values?.title}
        error={failed?.fieldErrors.title ?? failed?.formError}
      />
      <button type="submit" disabled={pending}>
        {pending ? "Adding…" : "Add"}
      </button>
    </form>
  );
}
