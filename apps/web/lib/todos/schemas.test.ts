import { describe, expect, it } from "vitest";
import { z } from "zod";
import { completeTodoInputSchema, createTodoInputSchema, deleteTodoInputSchema } from "./schemas";

const TIME_UUID = "5b6e2f1e-c8a4-11f0-8de9-0242ac120002";

describe("createTodoInputSchema", () => {
  it("trims the title", () => {
    expect(createTodoInputSchema.parse({ title: "  Buy milk \n" })).toEqual({ title: "Buy milk" });
  });

  it("keeps HTML and script in a title as plain text (rendering escapes it)", () => {
    const title = `<img src=x onerror="alert(1)"><script>alert(2)</script>`;
    expect(createTodoInputSchema.parse({ title })).toEqual({ title });
  });

  it("accepts 1 and 200 characters after trimming", () => {
    expect(createTodoInputSchema.safeParse({ title: "x" }).success).toBe(true);
    expect(createTodoInputSchema.safeParse({ title: ` ${"x".repeat(200)} ` }).success).toBe(true);
  });

  it.each([
    ["an empty title", "", "Enter a title."],
    ["only spaces", "   \t ", "Enter a title."],
    ["201 characters", "x".repeat(201), "Titles have at most 200 characters."],
    ["no title at all", undefined, "Enter a title."],
  ])("refuses %s", (_label, title, message) => {
    const result = createTodoInputSchema.safeParse({ title });
    expect(result.success).toBe(false);
    expect(z.flattenError(result.error!).fieldErrors.title).toEqual([message]);
  });
});

describe("completeTodoInputSchema", () => {
  it("takes the todo's timeuuid and the wanted state", () => {
    expect(completeTodoInputSchema.parse({ todoId: TIME_UUID.toUpperCase(), completed: "true" })).toEqual({ todoId: TIME_UUID, completed: true });
    expect(completeTodoInputSchema.parse({ todoId: TIME_UUID, completed: "false" })).toEqual({ todoId: TIME_UUID, completed: false });
  });

  it.each([
    ["a random (v4) UUID, which is no timeuuid", { todoId: "0f8fad5b-d9cb-469f-a165-70867728950e", completed: "true" }],
    ["a CQL injection attempt", { todoId: `${TIME_UUID}' OR ''='`, completed: "true" }],
    ["a missing state", { todoId: TIME_UUID }],
    ["a state that is not true or false", { todoId: TIME_UUID, completed: "yes" }],
  ])("refuses %s", (_label, input) => {
    expect(completeTodoInputSchema.safeParse(input).success).toBe(false);
  });
});

describe("deleteTodoInputSchema", () => {
  it("takes a timeuuid and refuses anything else", () => {
    expect(deleteTodoInputSchema.parse({ todoId: TIME_UUID })).toEqual({ todoId: TIME_UUID });
    expect(deleteTodoInputSchema.safeParse({ todoId: "not-an-id" }).success).toBe(false);
    expect(deleteTodoInputSchema.safeParse({}).success).toBe(false);
  });
});
