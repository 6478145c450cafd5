import type { Metadata } from "next";
import { NewTodoForm } from "../../components/todos/new-todo-form";
import { TodoItem } from "../../components/todos/todo-item";
import { appStores } from "../../lib/app-stores";
import { requireUser } from "../../lib/auth/current-user";

export const metadata: Metadata = { title: "Todos" };

function summary(total: number, open: number): string {
  if (total === 0) return "Nothing to do yet.";
  if (open === 0) return `All ${total} done.`;
  return `${open} of ${total} still to do.`;
}

/** The logged-in user's todos (anyone else is sent to the login page). */
export default async function TodosPage() {
  const user = await requireUser();
  const todos = await appStores().todos.list(user.id);
  const open = todos.filter((todo) => !todo.completed).length;
  return (
    <>
      <h1>Your todos</h1>
      <p>{summary(todos.length, open)}</p>
      <NewTodoForm />
      {todos.length > 0 ? (
        <ul className="todo-list" aria-label="Todos">
          {todos.map((todo) => (
            <TodoItem key={todo.id} todo={todo} />
          ))}
        </ul>
      ) : null}
    </>
  );
}
