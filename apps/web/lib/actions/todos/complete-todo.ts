"use server";

import { revalidatePath } from "next/cache";
import { sessionUser } from "../../auth/session-user";
import { appStores } from "../../app-stores";
import { fieldErrorsOf, formError, formFields, type FormState } from "../../forms/form-state";
import { SOMETHING_WENT_WRONG, TODO_NOT_FOUND } from "../../forms/messages";
import { log } from "../../log";
import { completeTodoInputSchema } from "../../todos/schemas";
import { newCorrelationId, recordInteraction } from "../../tracking/track-interaction";

export type CompleteTodoState = FormState<"todoId" | "completed">;

/**
 * A todo's complete/undo button: sets its completed state, only on the session
 * user's own todos (another user's id is refused), and tracks `complete` with
 * the title either way (the seed's "todo toggle").
 */
export async function completeTodo(_previous: CompleteTodoState, formData: FormData): Promise<CompleteTodoState> {
  const correlationId = newCorrelationId();
  const session = await sessionUser(correlationId);
  if (!session.ok) return formError(session.message);
  const { user } = session;

  const parsed = completeTodoInputSchema.safeParse(formFields(formData, ["todoId", "completed"] as const));
  if (!parsed.success) return { status: "error", fieldErrors: fieldErrorsOf(parsed.error) };

  const { todoId, completed } = parsed.data;
  let title: string;
  try {
    const todo = await appStores().todos.setCompleted(user.id, todoId, completed);
    if (!todo) {
      log.warn("todo not completed: not the user's", { correlationId, userId: user.id, todoId });
      return formError(TODO_NOT_FOUND);
    }
    title = todo.title;
    log.info("todo completed", { correlationId, userId: user.id, todoId, completed });
  } catch (error) {
    log.error("todo not completed", { correlationId, error });
    return formError(SOMETHING_WENT_WRONG);
  }
  await recordInteraction({ action: "complete", who: user.email, what: title, correlationId });
  revalidatePath("/todos");
  return { status: "success" };
}
