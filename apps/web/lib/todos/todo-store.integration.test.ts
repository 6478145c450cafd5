import { randomUUID } from "node:crypto";
import type cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTestCassandra } from "../testing/services";
import { TodoStore } from "./todo-store";

let client: cassandra.Client;
let todos: TodoStore;

beforeAll(async () => {
  client = await connectTestCassandra();
  todos = new TodoStore(client);
});

afterAll(async () => {
  await client?.shutdown();
});

describe("TodoStore (taskflow.todos_by_user)", () => {
  it("creates todos, lists them newest first, completes and reopens one, deletes one", async () => {
    const userId = randomUUID();
    const first = await todos.create(userId, "first");
    const second = await todos.create(userId, "second");
    expect(first).toEqual({ id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-1/), title: "first", completed: false });
    expect((await todos.list(userId)).map((todo) => todo.title)).toEqual(["second", "first"]);

    await expect(todos.setCompleted(userId, first.id, true)).resolves.toEqual({ ...first, completed: true });
    await expect(todos.setCompleted(userId, first.id, false)).resolves.toEqual({ ...first, completed: false });
    await todos.setCompleted(userId, first.id, true);
    await expect(todos.remove(userId, second.id)).resolves.toEqual(second);
    await expect(todos.list(userId)).resolves.toEqual([{ ...first, completed: true }]);
  });

  it("refuses another user's todo id: nothing is found, nothing changes, nothing is deleted", async () => {
    const alice = randomUUID();
    const mallory = randomUUID();
    const alicesTodo = await todos.create(alice, "alice's secret plan");

    await expect(todos.setCompleted(mallory, alicesTodo.id, true)).resolves.toBeUndefined();
    await expect(todos.remove(mallory, alicesTodo.id)).resolves.toBeUndefined();

    await expect(todos.list(alice)).resolves.toEqual([alicesTodo]);
    await expect(todos.list(mallory)).resolves.toEqual([]);
    // The refused update did not create a row in Mallory's partition either.
    const stray = await client.execute("SELECT todo_id FROM taskflow.todos_by_user WHERE user_id = ? AND todo_id = ?", [mallory, alicesTodo.id], {
      prepare: true,
    });
    expect(stray.rowLength).toBe(0);
  });

  it("does not bring a deleted todo back when it is completed afterwards (IF EXISTS)", async () => {
    const userId = randomUUID();
    const todo = await todos.create(userId, "gone");
    await todos.remove(userId, todo.id);
    await expect(todos.setCompleted(userId, todo.id, true)).resolves.toBeUndefined();
    await expect(todos.list(userId)).resolves.toEqual([]);
  });

  it("lets exactly one of two racing deletes of a todo win", async () => {
    const userId = randomUUID();
    const todo = await todos.create(userId, "once");
    const results = await Promise.all([todos.remove(userId, todo.id), todos.remove(userId, todo.id)]);
    expect(results.filter(Boolean)).toEqual([todo]);
  });

  it("stores a title with markup and quotes exactly as given", async () => {
    const userId = randomUUID();
    const title = `<img src=x onerror="alert(1)"> '; DROP TABLE todos_by_user; --`;
    await todos.create(userId, title);
    expect((await todos.list(userId))[0]?.title).toBe(title);
  });
});
