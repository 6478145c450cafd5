"use server";

import { revalidatePath } from "next/cache";
import { sessionUser } from "../../auth/session-user";
import { appStores } from "../../app-stores";
import { fieldErrorsOf, formError, formFields, type FormState } from "../../forms/form-state";
import { SOMETHING_WENT_WRONG } from "../../forms/messages";
import { log } from "../../log";
import { createTodoInputSchema, TITLE_MAX_LENGTH } from "../../todos/schemas";
import { newCorrelationId, recordInteraction } from "../../tracking/track-interaction";

export type CreateTodoState = FormState<"title">;

/** The new-todo form's action: adds a todo for the session's user and tracks `create` with its title. */
export async function createTodo(_previous: CreateTodoState, formData: FormData): Promise<CreateTodoState> {
  const correlationId = newCorrelationId();
  const session = await sessionUser(correlationId);
  if (!session.ok) return formError(session.message);
  const { user } = session;

  const fields = formFields(formData, ["title"] as const);
  const parsed = createTodoInputSchema.safeParse(fields);
  if (!parsed.success) {
    return { status: "error", fieldErrors: fieldErrorsOf(parsed.error), values: { title: fields.title?.slice(0, TITLE_MAX_LENGTH * 2) ?? "" } };
  }

  try {
    const todo = await appStores().todos.create(user.id, parsed.data.title);
    log.info("todo created", { correlationId, userId: user.id, todoId: todo.id });
  } catch (error) {
    log.error("todo not created", { correlationId, error });
    return formError(SOMETHING_WENT_WRONG, { title: parsed.data.title });
  }
  await recordInteraction({ action: "create", who: user.email, what: parsed.data.title, correlationId });
  revalidatePath("/todos");
  return { status: "success" };
}
