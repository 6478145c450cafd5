import { randomUUID } from "node:crypto";
import type { InteractionEvent } from "@taskflow/events";
import type cassandra from "cassandra-driver";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { SESSION_COOKIE } from "../../auth/session-cookie";
import { SessionStore } from "../../auth/session-store";
import type { CassandraService } from "../../cassandra/cassandra-service";
import { installCassandraService } from "../../cassandra/server";
import { idleFormState } from "../../forms/form-state";
import { NOT_LOGGED_IN, TODO_NOT_FOUND } from "../../forms/messages";
import { installCapturingTracking } from "../../testing/capturing-tracking";
import { browserCookies, finishResponse, resetFakeRequest } from "../../testing/fake-request";
import { connectTestCassandra, installTestCassandra, uniqueEmail } from "../../testing/services";
import { TodoStore } from "../../todos/todo-store";
import { installTrackingService } from "../../tracking/server";
import { completeTodo } from "./complete-todo";
import { createTodo } from "./create-todo";
import { deleteTodo } from "./delete-todo";

vi.mock("next/headers", async () => (await import("../../testing/fake-request")).nextHeadersModule);
vi.mock("next/server", async () => (await import("../../testing/fake-request")).nextServerModule);
vi.mock("next/cache", async () => (await import("../../testing/fake-request")).nextCacheModule);
vi.mock("../../log", async () => ({ log: (await import("@taskflow/kafka")).silentLogger }));

/**
 * The todo actions against the real Cassandra tables, as two users: each acts
 * only on their own todos, whatever todo id they post.
 */
let client: cassandra.Client;
let service: CassandraService;
let todos: TodoStore;
let emitted: InteractionEvent[];

interface TestUser {
  id: string;
  email: string;
  token: string;
}

async function newUser(label: string): Promise<TestUser> {
  const id = randomUUID();
  const email = uniqueEmail(label);
  const token = await new SessionStore(client).create({ userId: id, email, ttlSeconds: 600 });
  return { id, email, token };
}

/** Makes the next action calls come from `user`'s browser. */
function actAs(user: TestUser | undefined): void {
  browserCookies.clear();
  if (user) browserCookies.set(SESSION_COOKIE, user.token);
}

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
}

beforeAll(async () => {
  client = await connectTestCassandra();
  service = await installTestCassandra(client);
  todos = new TodoStore(client);
});

afterAll(async () => {
  installCassandraService(undefined);
  await service?.stop();
});

beforeEach(async () => {
  emitted = await installCapturingTracking();
});

afterEach(() => {
  installTrackingService(undefined);
  resetFakeRequest();
});

describe("todo actions", () => {
  it("create, complete and delete the session user's todos, tracking each with the title and its own correlation id", async () => {
    const ada = await newUser("ada");
    actAs(ada);
    await expect(createTodo(idleFormState, form({ title: "  Buy milk  " }))).resolves.toEqual({ status: "success" });
    await expect(createTodo(idleFormState, form({ title: "Write report" }))).resolves.toEqual({ status: "success" });
    const [report, milk] = await todos.list(ada.id);
    expect([milk?.title, report?.title]).toEqual(["Buy milk", "Write report"]);

    await expect(completeTodo(idleFormState, form({ todoId: milk!.id, completed: "true" }))).resolves.toEqual({ status: "success" });
    await expect(deleteTodo(idleFormState, form({ todoId: report!.id }))).resolves.toEqual({ status: "success" });
    await expect(todos.list(ada.id)).resolves.toEqual([{ ...milk, completed: true }]);

    await finishResponse();
    expect(emitted.map(({ action, who, what }) => ({ action, who, what }))).toEqual([
      { action: "create", who: ada.email, what: "Buy milk" },
      { action: "create", who: ada.email, what: "Write report" },
      { action: "complete", who: ada.email, what: "Buy milk" },
      { action: "delete", who: ada.email, what: "Write report" },
    ]);
    const correlationIds = emitted.map((event) => event.correlationId);
    expect(new Set(correlationIds).size).toBe(4);
    for (const id of correlationIds) expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses another user's todo id with a clear error: nothing changes and nothing is tracked", async () => {
    const alice = await newUser("alice");
    const mallory = await newUser("mallory");
    actAs(alice);
    await createTodo(idleFormState, form({ title: "alice's todo" }));
    const [alicesTodo] = await todos.list(alice.id);
    await finishResponse();
    emitted.length = 0;

    actAs(mallory);
    const refusal = { status: "error", fieldErrors: {}, formError: TODO_NOT_FOUND };
    await expect(completeTodo(idleFormState, form({ todoId: alicesTodo!.id, completed: "true" }))).resolves.toEqual(refusal);
    await expect(deleteTodo(idleFormState, form({ todoId: alicesTodo!.id }))).resolves.toEqual(refusal);

    await expect(todos.list(alice.id)).resolves.toEqual([alicesTodo]);
    await expect(todos.list(mallory.id)).resolves.toEqual([]);
    await finishResponse();
    expect(emitted).toEqual([]);
  });

  it("refuses every todo action without a live session, changing and tracking nothing", async () => {
    const ada = await newUser("nosession");
    actAs(ada);
    await createTodo(idleFormState, form({ title: "mine" }));
    const [todo] = await todos.list(ada.id);
    await finishResponse();
    emitted.length = 0;

    const refusal = { status: "error", fieldErrors: {}, formError: NOT_LOGGED_IN };
    for (const who of [undefined, { ...ada, token: "forged-token-forged-token-forged-token-xxxxx" }]) {
      actAs(who);
      await expect(createTodo(idleFormState, form({ title: "sneaky" }))).resolves.toEqual(refusal);
      await expect(completeTodo(idleFormState, form({ todoId: todo!.id, completed: "true" }))).resolves.toEqual(refusal);
      await expect(deleteTodo(idleFormState, form({ todoId: todo!.id }))).resolves.toEqual(refusal);
    }
    await expect(todos.list(ada.id)).resolves.toEqual([todo]);
    await finishResponse();
    expect(emitted).toEqual([]);
  });

  it("refuses malformed input next to the field and tracks nothing", async () => {
    actAs(await newUser("bad-input"));
    await expect(createTodo(idleFormState, form({ title: "   " }))).resolves.toEqual({
      status: "error",
      fieldErrors: { title: "Enter a title." },
      values: { title: "   " },
    });
    await expect(createTodo(idleFormState, form({ title: "x".repeat(201) }))).resolves.toMatchObject({
      fieldErrors: { title: "Titles have at most 200 characters." },
    });
    await expect(completeTodo(idleFormState, form({ todoId: "'; DROP TABLE x; --", completed: "true" }))).resolves.toMatchObject({
      status: "error",
      fieldErrors: { todoId: "Not a todo id." },
    });
    await finishResponse();
    expect(emitted).toEqual([]);
  });
});
