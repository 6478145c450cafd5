"use client";

import { useActionState } from "react";
import { completeTodo, type CompleteTodoState } from "../../lib/actions/todos/complete-todo";
import { deleteTodo, type DeleteTodoState } from "../../lib/actions/todos/delete-todo";
import { idleFormState, type FormState } from "../../lib/forms/form-state";
import type { Todo } from "../../lib/todos/todo-store";

function messageOf(state: FormState<string>): string | undefined {
  if (state.status !== "error") return undefined;
  return state.formError ?? Object.values(state.fieldErrors)[0];
}

/**
 * One todo with its complete/undo and delete buttons (each a form posting the
 * todo's id). The title is rendered as text: React escapes it, so HTML in a
 * title shows as typed.
 */
export function TodoItem({ todo }: { todo: Todo }) {
  const [completeState, completeAction, completing] = useActionState<CompleteTodoState, FormData>(completeTodo, idleFormState);
  const [deleteState, deleteAction, deleting] = useActionState<DeleteTodoState, FormData>(deleteTodo, idleFormState);
  const error = messageOf(completeState) ?? messageOf(deleteState);
  return (
    <li className={todo.completed ? "todo todo-done" : "todo"} data-completed={todo.completed}>
      <span className="todo-title">{todo.title}</span>
      <form action={completeAction}>
        <input type="hidden" name="todoId" value={todo.id} />
        <input type="hidden" name="completed" value={String(!todo.completed)} />
        <button type="submit" className="button-secondary" disabled={completing}>
          {todo.completed ? "Undo" : "Complete"}
        </button>
      </form>
      <form action={deleteAction}>
        <input type="hidden" name="todoId" value={todo.id} />
        <button type="submit" className="button-danger" disabled={deleting}>
          Delete
        </button>
      </form>
      {error ? (
        <p className="field-error todo-error" role="alert">
          {error}
        </p>
      ) : null}
    </li>
  );
}
