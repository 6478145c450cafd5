import { z } from "zod";

export const TITLE_MAX_LENGTH = 200;

/**
 * A todo id is the row's timeuuid (version 1). Cassandra refuses other UUID
 * versions for a timeuuid column, so they are refused here, with a message.
 */
const todoIdField = z
  .string({ error: "Missing todo id." })
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i, "Not a todo id.")
  .transform((id) => id.toLowerCase());

/** The new-todo form. HTML and script in a title are kept as text; React escapes them. */
export const createTodoInputSchema = z.object({
  title: z
    .string({ error: "Enter a title." })
    .trim()
    .min(1, "Enter a title.")
    .max(TITLE_MAX_LENGTH, `Titles have at most ${TITLE_MAX_LENGTH} characters.`),
});
export type CreateTodoInput = z.infer<typeof createTodoInputSchema>;

/**
 * The complete button of a todo: the state the user asked for (not "flip it"),
 * so a double submit or two tabs cannot undo each other by accident.
 */
export const completeTodoInputSchema = z.object({
  todoId: todoIdField,
  completed: z.enum(["true", "false"], { error: "Missing completed state." }).transform((value) => value === "true"),
});
export type CompleteTodoInput = z.infer<typeof completeTodoInputSchema>;

export const deleteTodoInputSchema = z.object({ todoId: todoIdField });
export type DeleteTodoInput = z.infer<typeof deleteTodoInputSchema>;
