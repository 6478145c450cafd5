"use server";

import { revalidatePath } from "next/cache";
import { sessionUser } from "../../auth/session-user";
import { appStores } from "../../app-stores";
import { fieldErrorsOf, formError, formFields, type FormState } from "../../forms/form-state";
import { SOMETHING_WENT_WRONG, TODO_NOT_FOUND } from "../../forms/messages";
import { log } from "../../log";
import { deleteTodoInputSchema } from "../../todos/schemas";
import { newCorrelationId, recordInteraction } from "../../tracking/track-interaction";

export type DeleteTodoState = FormState<"todoId">;

/** A todo's delete button: deletes one of the session user's own todos (another user's id is refused) and tracks `delete` with its title. */
export async function deleteTodo(_previous: DeleteTodoState, formData: FormData): Promise<DeleteTodoState> {
  const correlationId = newCorrelationId();
  const session = await sessionUser(correlationId);
  if (!session.ok) return formError(session.message);
  const { user } = session;

  const parsed = deleteTodoInputSchema.safeParse(formFields(formData, ["todoId"] as const));
  if (!parsed.success) return { status: "error", fieldErrors: fieldErrorsOf(parsed.error) };

  const { todoId } = parsed.data;
  let title: string;
  try {
    const todo = await appStores().todos.remove(user.id, todoId);
    if (!todo) {
      log.warn("todo not deleted: not the user's", { correlationId, userId: user.id, todoId });
      return formError(TODO_NOT_FOUND);
    }
    title = todo.title;
    log.info("todo deleted", { correlationId, userId: user.id, todoId });
  } catch (error) {
    log.error("todo not deleted", { correlationId, error });
    return formError(SOMETHING_WENT_WRONG);
  }
  await recordInteraction({ action: "delete", who: user.email, what: title, correlationId });
  revalidatePath("/todos");
  return { status: "success" };
}
